import Foundation
import FluoroboxTestSupport
import Glibc
import PlatformHub
import POSIXSupport
import SyncFixtures
import Synchronization
import Testing

/// Issue 16's fleet proof: 50 boxes (the box's own sync client, ten to a process) send results
/// and 1 MB instances through the fault-injecting proxy to two `fluorobox-hub` replicas behind
/// HAProxy on one PostgreSQL; a replica is SIGKILLed every few seconds and PostgreSQL is
/// restarted once; the replicas archive to Orthanc (its index in a PostgreSQL of its own).
@Suite(
    "The fleet proof: 50 boxes to a region under kills, cuts and a database restart",
    .enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.unavailableReason ?? "")),
    .enabled(if: HAProxyProcess.binary != nil, Comment(rawValue: HAProxyProcess.unavailableReason ?? "")),
    .enabled(if: OrthancServer.unavailableReason == nil, Comment(rawValue: OrthancServer.unavailableReason ?? "")),
    .serialized
)
struct FleetProofTests {
    static let processes = 5
    static let boxesPerProcess = 10
    static let resultsPerBox = 12
    static let instancesPerBox = 3
    static let instanceBytes = 1 << 20
    static let killEvery: Duration = .milliseconds(2500)

    static var fleetBinary: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidate = bundle.appendingPathComponent("fleet-boxes").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        return URL(fileURLWithPath: TestData.packageRoot).appendingPathComponent(".build/debug/fleet-boxes").path
    }

    @Test("every item of 50 boxes is held once by key and byte-identical, every instance archived once, uploads resumed across replicas")
    func fleetDeliversExactlyOnce() async throws {
        let started = ContinuousClock.now
        let postgres = try await PostgresServer.start("fleet-pg")
        let database = try await postgres.createDatabase("hub")
        // The PACS keeps its index in a PostgreSQL of its own: the region's restart is the hub's.
        let pacsDatabase = try await PostgresServer.start("fleet-pacs-pg")
        _ = try await pacsDatabase.createDatabase("orthanc")
        let orthanc = try await OrthancServer.start(label: "fleet-orthanc", index: (pacsDatabase.port, pacsDatabase.user, "orthanc"))
        let staging = TemporaryDirectory("fleet-staging")
        let replicaFolders = [TemporaryDirectory("fleet-replica"), TemporaryDirectory("fleet-replica")]
        var replicas: [HubProcess] = []
        for index in 0..<2 {
            let replica = HubProcess(
                dataDirectory: replicaFolders[index].path, port: HubProcess.freePort(),
                arguments: [
                    "--database", database, "--staging", staging.path, "--fail-rate", "0.02", "--fault-seed", "\(index + 11)",
                    "--archive-stow", orthanc.dicomWebRoot, "--archive-poll", "0.2", "--archive-lease", "10",
                    "--archive-retry-base", "0.3", "--archive-retry-max", "2", "--log-level", "critical",
                ],
                environment: [STOWArchive.userVariable: orthanc.username, STOWArchive.passwordVariable: orthanc.password]
            )
            try replica.start()
            try await replica.waitUntilListening()
            replicas.append(replica)
        }
        let balancer = try await HAProxyProcess(backends: replicas.map(\.port), logRequests: true)
        let proxy = try FaultProxy(upstreamPort: balancer.port) { index in
            // Every fourth connection is cut somewhere in its first 1.5 MB; the rest pass.
            var generator = SeededGenerator(seed: UInt64(index) &* 7_919 &+ 16)
            return index % 4 == 1 ? .cutAfter(Int.random(in: 20_000...1_500_000, using: &generator)) : .pass
        }

        // The fleet: processes of ten boxes each, their stores side by side.
        let fleetFolder = TemporaryDirectory("fleet-boxes")
        var fleet: [Process] = []
        // A test that throws halfway leaves no box process behind (they would hold on to the run).
        defer { for process in fleet where process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        for index in 0..<Self.processes {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.fleetBinary)
            process.arguments = [
                "--hub-url", "http://127.0.0.1:\(proxy.port)", "--folder", fleetFolder.path,
                "--first", String(index * Self.boxesPerProcess + 1), "--count", String(Self.boxesPerProcess),
                "--results", String(Self.resultsPerBox), "--instances", String(Self.instancesPerBox),
                "--instance-bytes", String(Self.instanceBytes), "--timeout", "200",
                "--report", fleetFolder.path + "/report-\(index).json",
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.childLog(at: fleetFolder.file("stderr-\(index).log"))
            try process.run()
            fleet.append(process)
        }
        let boxes = Self.processes * Self.boxesPerProcess
        let itemsSent = boxes * (Self.resultsPerBox + Self.instancesPerBox)

        // Faults from outside while the fleet drains: a replica SIGKILLed every few seconds
        // (alternating; its supervisor starts it again at once), and once a quarter of the items
        // are held PostgreSQL crashes and starts again 3 s later. The kills go on meanwhile: a
        // replica started while the database is down gives up after its connection wait and
        // is started again until the database is back.
        var kills = 0
        var restart: Task<Duration, any Error>?
        var lastKill = ContinuousClock.now
        while fleet.contains(where: \.isRunning) {
            try await Task.sleep(for: .milliseconds(250))
            if ContinuousClock.now - started > .seconds(400) { break }
            if restart == nil, let held = Int(try await postgres.sql("SELECT count(*) FROM item", database: "hub")), held >= itemsSent / 4 {
                restart = Task {
                    let down = ContinuousClock.now
                    // Immediate: a crash (no checkpoint, recovery from the WAL at the start);
                    // what was acknowledged must survive it.
                    try await postgres.stop(immediate: true)
                    try await Task.sleep(for: .seconds(3))
                    try await postgres.restart()
                    return ContinuousClock.now - down
                }
            }
            if ContinuousClock.now - lastKill >= Self.killEvery {
                if replicas[kills % 2].kill() { kills += 1 }
                lastKill = ContinuousClock.now
            }
        }
        let restartDowntime = try await restart?.value
        for process in fleet { await process.stop() }
        let drained = ContinuousClock.now - started

        // Each process's report: what each box sent and how its outbox ended.
        var reports: [FleetBoxReport] = []
        for (index, process) in fleet.enumerated() {
            #expect(process.terminationStatus == 0, "fleet process \(index) exited \(process.terminationStatus)")
            let data = try Data(contentsOf: URL(fileURLWithPath: fleetFolder.path + "/report-\(index).json"))
            reports += try JSONDecoder().decode([FleetBoxReport].self, from: data)
        }
        #expect(reports.count == boxes)
        for report in reports {
            #expect(report.settled && report.states == ["sent": report.expected.all.count], "\(report.device): \(report.states)")
        }

        // The database holds exactly the set sent: per device, by key, once, with the sent bytes' hashes.
        let listed = try await ProcessRunner.run(HubProcess.binary, ["list", "--json"], environment: ["FLUOROBOX_HUB_DATABASE": database])
        #expect(listed.status == 0, "\(listed.stderr)")
        let held = try JSONDecoder().decode([HubListedItem].self, from: Data(listed.stdout.utf8))
        #expect(held.count == itemsSent, "\(held.count) items held, \(itemsSent) sent")
        #expect(Set(held.map { "\($0.device)/\($0.key)" }).count == held.count, "a key is held twice")
        let heldByDevice = Dictionary(grouping: held, by: \.device)
        for report in reports {
            let items = heldByDevice[report.device] ?? []
            let sent = report.expected.instances.merging(report.expected.results) { first, _ in first }
            #expect(Dictionary(uniqueKeysWithValues: items.map { ($0.key, $0.sha256) }) == sent, "\(report.device) holds another set")
        }

        // The archive: every instance once in Orthanc, byte for byte, and the staged bytes gone.
        let instancesSent = reports.reduce(0) { $0 + $1.expected.instances.count }
        try await Self.waitUntil(seconds: 120) {
            try await postgres.sql("SELECT count(*) FROM archive_job WHERE state = 'archived' AND staged_released_at IS NOT NULL", database: "hub") == "\(instancesSent)"
        }
        let jobs = try await postgres.sql("SELECT state || ':' || count(*) FROM archive_job GROUP BY state", database: "hub")
        #expect(jobs == "archived:\(instancesSent)", "archive jobs: \(jobs)")
        let archivedBy = try await postgres.sql("SELECT string_agg(n::text, '/') FROM (SELECT count(*) AS n FROM archive_job GROUP BY claimed_by) AS per", database: "hub")
        let archive = try await orthanc.instances()
        var sentBySOP: [String: String] = [:]
        for report in reports {
            for (key, sha) in report.expected.instances {
                // instance:<SOP Instance UID>:<SHA-256>
                let sop = key.split(separator: ":")[1]
                sentBySOP[String(sop)] = sha
            }
        }
        #expect(archive.count == instancesSent, "Orthanc holds \(archive.count) instances, \(instancesSent) were sent")
        #expect(Set(archive.map(\.sopInstanceUID)) == Set(sentBySOP.keys))
        for (id, sop) in archive {
            #expect(SHA256Hex.string(of: try await orthanc.file(id)) == sentBySOP[sop], "Orthanc's bytes of \(sop)")
        }
        let stagedLeft = try Posix.directoryEntries(staging.path + "/items") + Posix.directoryEntries(staging.path + "/uploads")
        #expect(stagedLeft.isEmpty, "staged files left after the archive confirmed: \(stagedLeft.prefix(5))")

        // The faults fired, and uploads went on across replicas.
        let deaths = replicas.map(\.deaths)
        let resumed = reports.reduce(0) { $0 + $1.resumedUploads }
        let acrossReplicas = try Self.uploadsAcknowledgedByBothReplicas(log: balancer.requestLog)
        let failures = reports.reduce(0) { $0 + $1.failures }
        print("""
            fleet proof: \(boxes) boxes in \(Self.processes) processes, \(itemsSent) items sent (\(instancesSent) instances of \(Self.instanceBytes) B), \
            \(held.count) held, \(archive.count) in Orthanc; \(kills) SIGKILLs (replica deaths \(deaths)), proxy \(proxy.counts.connections) connections \(proxy.counts.cuts) cut, \
            PostgreSQL crashed and down for \(restartDowntime.map { "\($0)" } ?? "never"), replica starts that found no database and exited \(deaths.reduce(0, +) - kills); \
            box failures \(failures), resumed uploads \(resumed) (HEAD/409 offset > 0), \
            \(acrossReplicas) uploads with chunks acknowledged by both replicas; STOW requests \(orthanc.stowRequests), archive jobs per replica process \(archivedBy); \
            drained in \(drained), whole test \(ContinuousClock.now - started)
            """)
        #expect(kills >= 4 && deaths.allSatisfy { $0 >= 2 }, "kills \(kills), deaths \(deaths)")
        #expect(restartDowntime != nil, "PostgreSQL was not restarted")
        #expect(proxy.counts.cuts > 0)
        #expect(resumed > 0 && acrossReplicas > 0)

        proxy.stop()
        await balancer.stop()
        for replica in replicas { replica.stop() }
        await orthanc.stop()
        try await postgres.stop()
        try await pacsDatabase.stop()
    }

    /// Instance keys whose chunks were acknowledged (202/201) by both replicas, read from
    /// HAProxy's request log ("SERVER STATUS METHOD PATH").
    static func uploadsAcknowledgedByBothReplicas(log: String) throws -> Int {
        var servers: [Substring: Set<Substring>] = [:]
        for line in try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 4, fields[2] == "PUT", fields[1] == "202" || fields[1] == "201",
                  fields[3].hasPrefix("/v1/instances/") else { continue }
            servers[fields[3], default: []].insert(fields[0])
        }
        return servers.values.filter { $0.count >= 2 }.count
    }

    static func waitUntil(seconds: Double, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(300))
        }
        _ = try await condition()
    }
}
