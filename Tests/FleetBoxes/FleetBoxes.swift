import ArgumentParser
import Foundation
import Logging
import POSIXSupport
import StudyStore
import Sync
import SyncFixtures

/// Several boxes in one process for the fleet proof: each has its own store folder, device id
/// and the box's own sync client (PlatformClient and SyncService, unchanged), filled like the
/// sync tests' box and drained to `--hub-url` until every outbox item is settled. Writes one
/// ``FleetBoxReport`` per box as a JSON array to `--report`.
@main
struct FleetBoxes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fleet-boxes")

    @Option(help: "The hub (plain HTTP, development mode) the boxes sync to.") var hubURL: String
    @Option(help: "Folder under which each box keeps its store (box-N).") var folder: String
    @Option(help: "Number of the first box; devices are fleet-box-N.") var first: Int
    @Option(help: "Boxes in this process.") var count: Int
    @Option(help: "Results per box.") var results: Int
    @Option(help: "Instances per box.") var instances: Int
    @Option(help: "Payload bytes of each instance.") var instanceBytes: Int
    @Option(help: "Upload chunk size.") var chunkBytes: Int = 256 * 1024
    @Option(help: "Seconds to wait for every outbox to settle.") var timeout: Double = 300
    @Option(help: "Where the JSON report goes.") var report: String

    func run() async throws {
        var logger = Logger(label: "fleet-boxes")
        logger.logLevel = .critical
        let started = ContinuousClock.now
        var boxes: [(device: String, store: StudyStore, expected: SyncFixture.Expected)] = []
        for number in first..<(first + count) {
            let store = try StudyStore.open(StoreConfiguration(dataDirectory: DataDirectory(path: "\(folder)/box-\(number)")), logger: logger)
            // The seed makes each box's UIDs and bytes its own.
            let expected = try await SyncFixture.fill(
                store, instances: instances, instanceBytes: instanceBytes, results: results, seed: UInt64(number), dicom: true
            )
            boxes.append(("fleet-box-\(number)", store, expected))
        }
        let settings = boxes.map { box in Self.settings(hubURL: hubURL, device: box.device, chunkBytes: chunkBytes) }
        let counters = boxes.map { _ in SyncCounters() }
        let deadline = ContinuousClock.now + .seconds(timeout)
        let reports = try await withThrowingTaskGroup(of: Void.self) { group -> [FleetBoxReport] in
            for (index, box) in boxes.enumerated() {
                let client = try PlatformClient(settings: settings[index], counters: counters[index], logger: logger)
                let service = SyncService(
                    store: box.store, destination: PlatformDestination(client: client), settings: settings[index],
                    counters: counters[index], logger: logger
                )
                group.addTask { try await service.run() }
            }
            var settledAt: [Double?] = boxes.map { _ in nil }
            var states: [[String: Int]] = boxes.map { _ in [:] }
            while ContinuousClock.now < deadline {
                for (index, box) in boxes.enumerated() where settledAt[index] == nil {
                    states[index] = try SyncFixture.platformStates(box.store)
                    if states[index]["sent", default: 0] + states[index]["rejected", default: 0] == box.expected.all.count {
                        settledAt[index] = Self.seconds(since: started)
                    }
                }
                if settledAt.allSatisfy({ $0 != nil }) { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            group.cancelAll()
            return boxes.enumerated().map { index, box in
                let figures = counters[index].snapshot
                return FleetBoxReport(
                    device: box.device, expected: box.expected, states: states[index], settled: settledAt[index] != nil,
                    itemsDelivered: figures.itemsDelivered, failures: figures.failures, requests: figures.requests,
                    resumedUploads: figures.resumedUploads, seconds: settledAt[index] ?? Self.seconds(since: started)
                )
            }
        }
        let data = try JSONEncoder().encode(reports)
        try data.withUnsafeBytes { try Posix.replaceFile(report, with: $0, mode: 0o644) }
        if reports.contains(where: { !$0.settled }) { throw ExitCode(1) }
    }

    /// The sync tests' settings for a box behind the fault proxy, with a read timeout a loaded
    /// machine's debug replicas keep.
    static func settings(hubURL: String, device: String, chunkBytes: Int) -> SyncSettings {
        var settings = SyncSettings()
        settings.hubURL = hubURL
        settings.allowPlainHTTP = true
        settings.deviceID = device
        settings.chunkBytes = chunkBytes
        settings.backoff = BackoffPolicy(initial: 0.1, maximum: 1)
        settings.probeIntervalSeconds = 0.3
        settings.idlePollSeconds = 0.2
        settings.connectTimeoutSeconds = 2
        settings.readTimeoutSeconds = 10
        settings.watchNetworkChanges = false
        return settings
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
