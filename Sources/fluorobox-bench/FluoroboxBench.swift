import ArgumentParser
import Appliance
import DICOM
import Foundation
import Logging
import POSIXSupport
import StudyStore

/// Benchmarks that print figures side by side with a peer in the same run. Not tests: the
/// numbers depend on the machine; the comparison is what matters.
@main
struct FluoroboxBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fluorobox-bench",
        abstract: "Fluorobox benchmarks, each printed next to a peer measured in the same run.",
        subcommands: [IntakeBenchmark.self, UploadEncodingBenchmark.self]
    )
}

struct IntakeBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intake",
        abstract: "Acknowledged intakes/s and ack latency for large DICOM files, next to cp + sync of the same files."
    )

    @Option(help: "Number of files.")
    var count = 200

    @Option(help: "Size of each file in MiB.")
    var megabytes = 8

    @Option(help: "Rounds; each runs Fluorobox and the peers once, alternating.")
    var rounds = 3

    @Option(help: "Work folder (default: a new folder under /tmp). Must be on the disk you want to measure.")
    var work: String?

    func run() async throws {
        let root = work ?? NSTemporaryDirectory() + "fluorobox-bench-\(UUID().uuidString.prefix(8))"
        let sources = root + "/sources"
        try FileManager.default.createDirectory(atPath: sources, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        print("intake benchmark: \(count) DICOM files of \(megabytes) MiB in \(root)")
        var paths: [String] = []
        var generator = SystemRandomNumberGenerator()
        let payloadSize = megabytes << 20 - 1024
        for index in 0..<count {
            // Random payload so no file system or cache can shortcut identical blocks.
            var payload = [UInt8](repeating: 0, count: payloadSize)
            payload.withUnsafeMutableBytes { raw in
                let words = raw.bindMemory(to: UInt64.self)
                for i in words.indices { words[i] = generator.next() }
            }
            var writer = Part10Writer()
            writer.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.1.1")
            writer.set(.sopInstanceUID, .UI, DICOMUID.random())
            writer.set(.studyInstanceUID, .UI, DICOMUID.random())
            writer.set(.modality, .CS, "DX")
            writer.set(.pixelData, .OW, bytes: payload)
            let path = sources + "/\(index).dcm"
            try Data(try writer.part10Bytes()).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        sync()
        let totalBytes = paths.reduce(Int64(0)) { $0 + ((try? Posix.fileStatus($1).size) ?? 0) }

        // Rounds alternate between Fluorobox and its peers so that drift in the disk (a VM's
        // neighbours, writeback of the previous round) falls on both alike.
        var results: [String: [(seconds: Double, latencies: [Double]?)]] = [:]
        for round in 1...rounds {
            let output = root + "/round"
            try? FileManager.default.removeItem(atPath: output)
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            results[Self.ours, default: []].append(try await Self.fluorobox(paths, into: output + "/store"))
            results[Self.perFile, default: []].append(try Self.copyAndSyncEach(paths, into: output + "/cp"))
            results[Self.batch, default: []].append(try Self.copyAllThenSync(sources, into: output + "/cp-batch"))
            print("round \(round): " + [Self.ours, Self.perFile, Self.batch].map { name in
                String(format: "%@ %.1f files/s", name, Double(paths.count) / results[name]!.last!.seconds)
            }.joined(separator: ", "))
            try? FileManager.default.removeItem(atPath: output)
        }

        let megabytesTotal = Double(totalBytes) / 1_048_576
        print("median of \(rounds) round(s), \(paths.count) files, \(String(format: "%.0f", megabytesTotal)) MiB:")
        for name in [Self.ours, Self.perFile, Self.batch] {
            let runs = results[name]!
            let seconds = Self.percentile(runs.map(\.seconds), 0.5)
            var text = name.padding(toLength: 36, withPad: " ", startingAt: 0)
            text += String(format: "%8.1f files/s %8.1f MB/s", Double(paths.count) / seconds, megabytesTotal / seconds)
            let latencies = runs.compactMap(\.latencies).flatMap { $0 }
            if !latencies.isEmpty {
                text += String(format: "   ack p50 %6.1f ms  p99 %6.1f ms", Self.percentile(latencies, 0.5), Self.percentile(latencies, 0.99))
            }
            print(text)
        }
        let ours = Self.percentile(results[Self.ours]!.map(\.seconds), 0.5)
        let peer = Self.percentile(results[Self.perFile]!.map(\.seconds), 0.5)
        print(String(format: "ratio fluorobox / (cp + sync per file): %.2f in files/s", peer / ours))
    }

    static let ours = "fluorobox intake (the promise)"
    static let perFile = "cp + sync FILE, per file"
    static let batch = "cp -r, one sync (no per-file ack)"

    /// The full intake path: stage + fsync, identify, rename + directory fsync, commit.
    static func fluorobox(_ paths: [String], into folder: String) async throws -> (seconds: Double, latencies: [Double]?) {
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let store = try StudyStore.open(
            StoreConfiguration(dataDirectory: DataDirectory(path: folder), retention: RetentionPolicy(softLimit: .bytes(0), hardLimit: .bytes(0))),
            logger: logger
        )
        let intake = FileIntake(store: store)
        var latencies: [Double] = []
        let start = DispatchTime.now()
        for path in paths {
            let one = DispatchTime.now()
            guard case .acknowledged = await intake.ingest(path: path, source: .import) else {
                throw ValidationError("intake of \(path) failed")
            }
            latencies.append(milliseconds(since: one))
        }
        return (milliseconds(since: start) / 1000, latencies)
    }

    /// cp, then `sync FILE` (an fsync of the copy), one file at a time: as durable per file as
    /// the promise for the data, without the directory fsync and without any database.
    static func copyAndSyncEach(_ paths: [String], into folder: String) throws -> (seconds: Double, latencies: [Double]?) {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var latencies: [Double] = []
        let start = DispatchTime.now()
        for (index, path) in paths.enumerated() {
            let target = folder + "/\(index).dcm"
            let one = DispatchTime.now()
            try shell("/bin/cp", [path, target])
            try shell("/bin/sync", [target])
            latencies.append(milliseconds(since: one))
        }
        return (milliseconds(since: start) / 1000, latencies)
    }

    /// One cp of everything, then one sync: the fastest a copy can be, with no per-file ack.
    static func copyAllThenSync(_ source: String, into folder: String) throws -> (seconds: Double, latencies: [Double]?) {
        let start = DispatchTime.now()
        try shell("/bin/cp", ["-r", source, folder])
        try shell("/bin/sync", [])
        return (milliseconds(since: start) / 1000, nil)
    }

    static func milliseconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1_000_000
    }

    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
    }

    static func shell(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("\(executable) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
        }
    }
}
