import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The load generator of tools/bench/hub-load: enrols N simulated devices, opens one mutual-TLS
/// connection per device, then
///  1. schedule: every device heartbeats every `--heartbeat-interval` s and sends a result every
///     `--result-interval` s, open loop (a request's latency counts from when it was due, so a
///     slow hub cannot hide queueing by slowing the senders down);
///  2. max: `--concurrency` devices send results back to back (closed loop) for the ratio;
///  3. max: the same with heartbeats.
/// Prints a table and writes the figures as JSON for the script to set beside pgbench.
@main
struct HubLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fluorobox-hub-load",
        abstract: "Simulated devices with their own certificates against a running fluorobox-hub (tools/bench/hub-load)."
    )

    @Option(help: "The hub's PostgreSQL (to enrol the devices).") var database: String
    @Option(help: "Folder of the device CA (fluorobox-hub ca init), the one the hub was started with.") var caDir: String
    @Option(help: "PEM CA that signed the hub's server certificate.") var serverTrust: String
    @Option(help: "Hub address.") var host = "127.0.0.1"
    @Option(help: "Hub port.") var port: Int
    @Option(help: "Simulated devices.") var devices = 2000
    @Option(help: "Seconds between a device's heartbeats.") var heartbeatInterval: Double = 30
    @Option(help: "Seconds between a device's results in the schedule phase (0: none).") var resultInterval: Double = 300
    @Option(help: "Seconds of the schedule phase.") var scheduleSeconds: Double = 60
    @Option(help: "Devices sending back to back in the max phases.") var concurrency = 64
    @Option(help: "Seconds of each max phase (0 skips them).") var maxSeconds: Double = 20
    @Option(help: "Event loop threads of the load generator.") var threads = 1
    @Option(help: "The hub's pid, to count its CPU time.") var hubPid: Int32?
    @Option(help: "The postmaster's pid, to count PostgreSQL's CPU time.") var postgresPid: Int32?
    @Option(help: "Write the figures here as JSON.") var json: String?

    func run() async throws {
        var logger = Logger(label: "fluorobox-hub-load")
        logger.logLevel = .warning
        let runID = String(UUID().uuidString.prefix(8)).lowercased()

        var clock = ContinuousClock.now
        let fleet = try await Fleet.enrol(
            count: devices, prefix: "load-\(runID)", caDirectory: caDir, database: database, serverTrust: serverTrust, logger: logger
        )
        say(String(format: "enrolled %d devices (own key, CSR, certificate from the device CA) in %.1f s", fleet.count, seconds(since: clock)))

        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let connections = fleet.map {
            DeviceConnection(device: $0.device, context: $0.context, group: group, host: host, port: port)
        }
        clock = .now
        try await forEachBounded(connections, limit: 32) { try await $0.connect() }
        say(String(format: "connected %d devices (mutual TLS, one kept-alive connection each) in %.1f s", connections.count, seconds(since: clock)))

        var report = Report(devices: devices, heartbeatInterval: heartbeatInterval, resultInterval: resultInterval, concurrency: concurrency)
        report.schedule = try await measured { recorder in
            try await schedule(connections, recorder: recorder)
        }
        if maxSeconds > 0 {
            report.maxResults = try await measured { recorder in
                try await closedLoop(connections, kind: "result", recorder: recorder)
            }
            report.maxHeartbeats = try await measured { recorder in
                try await closedLoop(connections, kind: "heartbeat", recorder: recorder)
            }
        }
        report.reconnects = connections.reduce(0) { $0 + $1.connects.load(ordering: .relaxed) } - connections.count
        for connection in connections { await connection.close() }
        try await group.shutdownGracefully()

        report.print()
        if let json {
            let data = try JSONEncoder().encode(report)
            try data.write(to: URL(fileURLWithPath: json))
        }
    }

    /// Runs a phase and adds the CPU time each process spent in it.
    private func measured(_ body: (PhaseRecorder) async throws -> Double) async throws -> PhaseFigures {
        let recorder = PhaseRecorder()
        let before = cpu()
        let seconds = try await body(recorder)
        let after = cpu()
        var figures = recorder.summary(seconds: seconds)
        for (name, value) in after { figures.cpuSeconds[name] = value - (before[name] ?? 0) }
        return figures
    }

    private func cpu() -> [String: Double] {
        var figures = ["load generator": ProcessCPU.seconds(pid: getpid())]
        if let hubPid { figures["hub"] = ProcessCPU.seconds(pid: hubPid) }
        if let postgresPid { figures["postgres"] = ProcessCPU.seconds(pid: postgresPid, children: true) }
        return figures
    }

    /// Open loop: device i's first heartbeat is due at i/N of the interval (boxes are not in
    /// step), then every interval; results likewise on their own interval. Returns the phase's
    /// length in seconds.
    private func schedule(_ connections: [DeviceConnection], recorder: PhaseRecorder) async throws -> Double {
        let start = ContinuousClock.now + .milliseconds(200)
        let end = start + .seconds(scheduleSeconds)
        let host = "\(host):\(port)"
        let runID = String(UUID().uuidString.prefix(8)).lowercased()
        let heartbeat = Duration.seconds(heartbeatInterval)
        let result = resultInterval > 0 ? Duration.seconds(resultInterval) : nil
        let count = connections.count
        say(String(format: "schedule: %d devices, a heartbeat every %.0f s%@, for %.0f s (about %.0f requests/s due) ...",
                     count, heartbeatInterval, result.map { String(format: " and a result every %.0f s", $0 / .seconds(1)) } ?? "",
                     scheduleSeconds, Double(count) / heartbeatInterval + (resultInterval > 0 ? Double(count) / resultInterval : 0)))
        await withTaskGroup(of: Void.self) { group in
            for (index, connection) in connections.enumerated() {
                group.addTask {
                    let share = Double(index) / Double(count)
                    var nextHeartbeat = start + heartbeat * share
                    // Results are offset by half a share so they do not land with a heartbeat.
                    var nextResult = result.map { start + $0 * ((Double(index) + 0.5) / Double(count)) }
                    var sequence = 0
                    while true {
                        let isResult = nextResult.map { $0 < nextHeartbeat } ?? false
                        let due = isResult ? nextResult! : nextHeartbeat
                        guard due < end else { return }
                        try? await Task.sleep(until: due)
                        sequence += 1
                        let (head, body) = isResult
                            ? DeviceRequests.result(device: connection.device, sequence: sequence, run: runID, host: host)
                            : DeviceRequests.heartbeat(device: connection.device, sequence: sequence, host: host)
                        let kind = isResult ? "result" : "heartbeat"
                        do {
                            let status = try await connection.send(head, body: body)
                            recorder.record(kind, milliseconds: milliseconds(since: due), status: status)
                        } catch {
                            recorder.failed(kind, error)
                        }
                        if isResult { nextResult = nextResult! + result! } else { nextHeartbeat += heartbeat }
                    }
                }
            }
        }
        return scheduleSeconds
    }

    /// Closed loop: `concurrency` devices, each sending its next request as soon as the last
    /// was answered. Returns the phase's length in seconds.
    private func closedLoop(_ connections: [DeviceConnection], kind: String, recorder: PhaseRecorder) async throws -> Double {
        let workers = Array(connections.prefix(concurrency))
        let host = "\(host):\(port)"
        let runID = String(UUID().uuidString.prefix(8)).lowercased()
        say(String(format: "max %@s: %d devices back to back for %.0f s ...", kind, workers.count, maxSeconds))
        let start = ContinuousClock.now
        let end = start + .seconds(maxSeconds)
        await withTaskGroup(of: Void.self) { group in
            for connection in workers {
                group.addTask {
                    var sequence = 0
                    while ContinuousClock.now < end {
                        sequence += 1
                        let (head, body) = kind == "result"
                            ? DeviceRequests.result(device: connection.device, sequence: sequence, run: runID, host: host)
                            : DeviceRequests.heartbeat(device: connection.device, sequence: sequence, host: host)
                        let sent = ContinuousClock.now
                        do {
                            let status = try await connection.send(head, body: body)
                            recorder.record(kind, milliseconds: milliseconds(since: sent), status: status)
                        } catch {
                            recorder.failed(kind, error)
                        }
                    }
                }
            }
        }
        return seconds(since: start)
    }
}

/// Runs `body` for every element, at most `limit` at once.
func forEachBounded<T: Sendable>(_ items: [T], limit: Int, _ body: @escaping @Sendable (T) async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        var iterator = items.makeIterator()
        for _ in 0..<limit {
            guard let item = iterator.next() else { break }
            group.addTask { try await body(item) }
        }
        while try await group.next() != nil {
            if let item = iterator.next() { group.addTask { try await body(item) } }
        }
    }
}

/// A progress line, flushed at once: stdout is a file or a pipe under the script, and the
/// phases' starts are what someone profiling the hub waits for.
func say(_ line: String) {
    print(line)
    fflush(nil)
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    (ContinuousClock.now - start) / .seconds(1)
}

func milliseconds(since start: ContinuousClock.Instant) -> Double {
    (ContinuousClock.now - start) / .milliseconds(1)
}

struct Report: Codable {
    var devices: Int
    var heartbeatInterval: Double
    var resultInterval: Double
    var concurrency: Int
    var schedule: PhaseFigures?
    var maxResults: PhaseFigures?
    var maxHeartbeats: PhaseFigures?
    var reconnects = 0

    func print() {
        Swift.print("")
        Swift.print("phase                         requests   req/s    p50 ms   p90 ms   p99 ms   max ms  CPU ms/req hub / postgres / generator")
        for (name, phase) in [("schedule (open loop)", schedule), ("max results (closed loop)", maxResults), ("max heartbeats (closed loop)", maxHeartbeats)] {
            guard let phase else { continue }
            let rows = [(name, phase.all)] + phase.kinds.sorted(by: { $0.key < $1.key }).map { ("  \($0.key)", $0.value) }
            for (index, (label, figures)) in rows.enumerated() where index == 0 || phase.kinds.count > 1 {
                let cpu = index == 0 && figures.count > 0
                    ? ["hub", "postgres", "load generator"].map { String(format: "%.2f", (phase.cpuSeconds[$0] ?? .nan) * 1000 / Double(figures.count)) }.joined(separator: " / ")
                    : ""
                Swift.print(
                    label.padding(toLength: 28, withPad: " ", startingAt: 0)
                        + String(format: "%10d %7.0f %9.1f %8.1f %8.1f %8.1f  %@", figures.count, figures.perSecond, figures.p50, figures.p90, figures.p99, figures.max, cpu)
                )
            }
            let statuses = phase.statuses.sorted(by: { $0.key < $1.key }).map { "\($0.key): \($0.value)" }.joined(separator: ", ")
            Swift.print("    answers: \(statuses)" + (phase.failures.isEmpty ? "" : "; failures: \(phase.failures)"))
        }
        if reconnects > 0 { Swift.print("reconnects: \(reconnects)") }
    }
}
