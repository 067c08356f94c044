import ArgumentParser
import Appliance
import Foundation
import Panel
import StudyStore
import Sync

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the agent, storage, outbox backlog, last recovery and recent problems."
    )

    @OptionGroup var common: CommonOptions

    @OptionGroup var output: JSONOutput

    func run() async throws {
        let (configuration, logger, store) = try common.openStoreWithContext()
        var report = try await StatusReport.gather(store: store, modelPackages: configuration.modelPackages, logger: logger)
        if configuration.panel.servesTLS, let certificate = configuration.panel.tlsCertificatePath {
            report.panelCertificateSHA256 = PanelTLS.certificateFingerprint(path: certificate) ?? "unreadable: \(certificate)"
        }
        if try output.printed(report) { return }
        print(StatusText.render(report))
        // Model updates offered by the platform: the latest outcomes (sync/model-updates.json).
        let updates = RunStateFiles(directory: store.directory).modelUpdates().values.sorted { $0.at > $1.at }.prefix(3)
        let time = DateFormatter()
        time.dateFormat = "yyyy-MM-dd HH:mm:ss"
        for (index, update) in updates.enumerated() {
            var text = "\(update.package ?? update.file) \(update.outcome.rawValue) \(time.string(from: update.at))"
            if let reason = update.reason { text += ": \(reason)" }
            print((index == 0 ? "Updates:    " : "            ") + text)
        }
    }
}

/// The human form of a status report.
enum StatusText {
    static func plural(_ count: Int, _ one: String, _ many: String) -> String {
        "\(count) \(count == 1 ? one : many)"
    }

    static func duration(_ seconds: Int) -> String {
        let seconds = max(0, seconds)
        let (d, h, m) = (seconds / 86_400, seconds % 86_400 / 3600, seconds % 3600 / 60)
        if d > 0 { return "\(d) d \(h) h" }
        if h > 0 { return "\(h) h \(m) min" }
        return m > 0 ? "\(m) min" : "\(seconds) s"
    }

    static func render(_ report: StatusReport) -> String {
        let time = DateFormatter()
        time.dateFormat = "yyyy-MM-dd HH:mm:ss"
        var lines: [String] = ["Fluorobox \(report.version) — data folder \(report.dataDirectory)"]
        let agent = report.agent
        if agent.running {
            var text = "running"
            if let pid = agent.pid { text += " (pid \(pid)" + (agent.state.map { ", \($0)" } ?? "") + ")" }
            if let ready = agent.readyAt { text += ", ready since \(time.string(from: ready))" }
            lines.append("Agent:      \(text)")
        } else {
            lines.append("Agent:      not running")
        }
        if let fingerprint = report.panelCertificateSHA256 {
            lines.append("Panel:      HTTPS, certificate SHA-256 \(fingerprint)")
        }
        let store = report.store
        let present = store.instancesByBlobState["present"] ?? 0
        var states = ["\(present) present"]
        for state in ["evicted", "missing"] where (store.instancesByBlobState[state] ?? 0) > 0 {
            states.append("\(store.instancesByBlobState[state]!) \(state)")
        }
        lines.append("Store:      \(plural(store.studies, "study", "studies")), \(plural(store.instances, "instance", "instances")) (\(states.joined(separator: ", "))), \(ByteCount.format(store.storage.storeBytes)); \(store.instancesReceivedToday) received today")
        let storage = store.storage
        lines.append("Storage:    \(ByteCount.format(storage.availableBytes)) free of \(ByteCount.format(storage.totalBytes)) — \(storage.level.rawValue.uppercased())"
            + " (soft limit keeps \(ByteCount.format(storage.softLimitFreeBytes)) free, hard \(ByteCount.format(storage.hardLimitFreeBytes))"
            + (storage.maximumStoreBytes.map { ", cap \(ByteCount.format($0))" } ?? "") + ")")
        lines.append("            unsynced \(ByteCount.format(storage.unsyncedBytes)), evictable \(ByteCount.format(storage.evictableBytes))")
        if let days = report.daysOfCapacity {
            lines.append("Capacity:   about \(String(format: "%.0f", days)) days left at the last week's intake rate")
        } else if report.host != nil {
            lines.append("Capacity:   no intake in the last week to estimate from")
        }
        if let host = report.host {
            var parts: [String] = []
            if let load = host.loadAverage { parts.append("load " + load.map { String(format: "%.2f", $0) }.joined(separator: " ")) }
            parts.append(host.temperatures.isEmpty
                ? "temperature not exposed by this board"
                : "temperature " + host.temperatures.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.0f", $0.value)) °C" }.joined(separator: ", "))
            if let uptime = host.systemUptimeSeconds { parts.append("system up \(Self.duration(Int(uptime)))") }
            if agent.running, let started = agent.startedAt { parts.append("agent up \(Self.duration(Int(report.generatedAt.timeIntervalSince(started))))") }
            lines.append("Host:       " + parts.joined(separator: "; "))
        }
        if let clock = report.clockProblem {
            lines.append("Clock:      WRONG: \(clock)")
        }
        if store.destinations.isEmpty {
            lines.append("Outbox:     no destinations configured")
        }
        for (index, destination) in store.destinations.enumerated() {
            var text = "\(destination.destination): \(destination.queued + destination.sending) unsent (\(ByteCount.format(UInt64(destination.backlogBytes))))"
            if let oldest = destination.oldestUnsentAt { text += ", oldest \(time.string(from: oldest))" }
            text += ", \(destination.sent) sent, \(destination.rejected) rejected"
            if let last = destination.lastSentAt { text += ", last sent \(time.string(from: last))" }
            if destination.awaitingCommitment > 0 { text += ", \(destination.awaitingCommitment) stored awaiting storage commitment" }
            if !destination.sentByConfirmation.isEmpty {
                text += " (sent by " + destination.sentByConfirmation.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
            }
            if let error = destination.lastError { text += ", error: \(error)" }
            if destination.unsentByKind.count > 1 || destination.unsentByKind.keys.contains(where: { $0 != "instance" }) {
                text += " [" + destination.unsentByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "]"
            }
            lines.append((index == 0 ? "Outbox:     " : "            ") + text)
        }
        for sync in report.sync ?? [] {
            var text = "\(sync.destination) \(sync.phase.rawValue)"
            if let last = sync.lastSuccessAt { text += ", last success \(time.string(from: last))" }
            if sync.consecutiveFailures > 0 { text += ", \(sync.consecutiveFailures) failures in a row" }
            if let error = sync.lastError { text += ", error: \(error)" }
            if let clock = sync.clockProblem { text += ", CLOCK: \(clock)" }
            lines.append("Sync:       " + text)
        }
        if let link = report.usbLink {
            var text = "USB \(link.phase.rawValue) since \(time.string(from: link.since))"
            if let device = link.device { text += ", \(device)" }
            if let stream = link.stream { text += ", \(stream)" }
            text += ", \(plural(link.captures, "capture", "captures")), \(plural(link.reconnects, "reconnect", "reconnects"))"
            if let error = link.lastError { text += ", last error: \(error)" }
            lines.append("Capture:    \(text)")
        }
        if let port = report.agent.listeners["dicom"] {
            lines.append((report.usbLink == nil ? "Capture:    " : "            ") + "DICOM listener on port \(port)")
        }
        if let port = report.agent.listeners["panel"] {
            lines.append("Panel:      http://<box address>:\(port)/ (healthz, readyz, metrics open; pages behind the login)")
        }
        if let problem = report.modelsProblem {
            lines.append("Models:     cannot read the packages folder: \(problem)")
        } else if let models = report.models {
            let demonstration = Set((report.modelUses ?? []).filter(\.isDemonstration).map(\.task))
            let active = models.sorted { $0.task < $1.task }.map {
                "\($0.task): \($0.active)" + (demonstration.contains($0.task) ? " [DEMONSTRATION]" : "") + ($0.previous.map { " (rollback to \($0))" } ?? "")
            }
            lines.append("Models:     \(active.isEmpty ? "none active (fluorobox model install / activate)" : active.joined(separator: "; "))")
            if !demonstration.isEmpty {
                lines.append("            DEMONSTRATION MODEL ACTIVE: its findings on real radiographs mean nothing; not for clinical use")
            }
        }
        for shadow in report.shadows ?? [] {
            lines.append("Shadow:     \(shadow.designation.task): \(shadow.designation.package) beside the active package (never shown, never sent as results)")
            if shadow.agreements.isEmpty { lines.append("            no images read in shadow yet") }
            for agreement in shadow.agreements {
                let findings = agreement.findings.map {
                    "\($0.id) \(String(format: "%.0f", $0.agreement * 100)) % (both \($0.bothFlagged), active only \($0.onlyActive), shadow only \($0.onlyShadow), neither \($0.neither))"
                }
                lines.append("            vs \(agreement.activeModel)@\(agreement.activeVersion) since \(agreement.day): "
                    + "\(plural(agreement.images, "image", "images")), \(plural(agreement.errors, "error", "errors"))"
                    + (findings.isEmpty ? "" : "; agreement " + findings.joined(separator: "; ")))
            }
        }
        let analyses = store.analysesByStatus.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
        lines.append("Analyses:   \(analyses.isEmpty ? "none" : analyses.joined(separator: ", "))")
        if !store.pendingAnalysesByTask.isEmpty {
            let pending = store.pendingAnalysesByTask.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            lines.append("Pending:    \(pending.joined(separator: ", ")) (per task)")
        }
        if !store.failedAnalyses.isEmpty {
            lines.append("Failed:     \(plural(store.failedAnalyses.count, "analysis needs", "analyses need")) a technician (fluorobox analysis retry|dismiss ID):")
            for failed in store.failedAnalyses.prefix(5) {
                lines.append("            #\(failed.id) \(failed.sopInstanceUID), \(plural(failed.attempts, "attempt", "attempts")): \(failed.reason)")
            }
        }
        if let quarantine = store.quarantine, quarantine.files > 0 {
            lines.append("Quarantine: \(plural(quarantine.files, "file", "files")), \(ByteCount.format(quarantine.bytes)) "
                + "(bounds \(quarantine.maximumFiles) files, \(ByteCount.format(quarantine.maximumBytes)); fluorobox quarantine clear)")
        }
        if let recovery = store.lastRecovery {
            lines.append("Recovery:   \(time.string(from: recovery.at)) \(recovery.severity.rawValue): \(recovery.message)")
        } else {
            lines.append("Recovery:   not run yet (the agent runs it at start)")
        }
        if store.recentProblems.isEmpty {
            lines.append("Problems:   none in the last 24 hours")
        } else {
            lines.append("Problems:   \(store.recentProblems.count) in the last 24 hours, newest first:")
            for problem in store.recentProblems.prefix(10) {
                lines.append("            \(time.string(from: problem.at)) \(problem.severity.rawValue): \(problem.message)")
            }
        }
        lines.append("Components: " + report.components.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            + "; schema \(store.schemaVersion)")
        return lines.joined(separator: "\n")
    }
}
