import Foundation
import Hummingbird
import NIOCore
import POSIXSupport
import ServiceLifecycle
import StudyStore

/// The status page's figures, gathered once per view or event.
struct StatusSnapshot: Sendable {
    var system: SystemSummary
    var store: StoreStatus
    var host: HostReadings
    var dailyIntakeBytes: Double
    var flaggedStudies: Int
    var capturesToday: Int
    var studiesVersion: String

    /// Days until the hard limit at the last week's rate, counting what eviction can free.
    var daysOfCapacity: Double? {
        guard dailyIntakeBytes > 0 else { return nil }
        let storage = store.storage
        let usable = Double(storage.availableBytes) - Double(storage.hardLimitFreeBytes) + Double(storage.evictableBytes)
        return max(0, usable) / dailyIntakeBytes
    }

    /// Small JSON for server-sent events.
    var live: [String: String] {
        var values = [
            "intakeToday": String(capturesToday),
            "studies": String(store.studies),
            "flagged": String(flaggedStudies),
            "diskFree": HTML.bytes(Int64(store.storage.availableBytes)),
            "studiesVersion": studiesVersion,
            "load": host.loadAverage.map { $0.map { String(format: "%.2f", $0) }.joined(separator: " ") } ?? "—",
        ]
        for destination in store.destinations {
            values["backlog-\(destination.destination)"] = String(destination.queued + destination.sending)
        }
        return values
    }
}

extension PanelApplication {
    func snapshot() async throws -> StatusSnapshot {
        let system = await hooks.system()
        let store = self.store
        return try await BlockingIO.run {
            let status = try store.status()
            let counters = try store.panelCounters()
            return StatusSnapshot(
                system: system, store: status, host: HostReadings.read(),
                dailyIntakeBytes: try store.averageDailyIntakeBytes(),
                flaggedStudies: counters.flaggedStudies, capturesToday: counters.capturesToday,
                studiesVersion: counters.version
            )
        }
    }

    func addStatusRoutes(to router: Router<PanelRequestContext>) {
        router.get("/status") { _, context in
            statusPage(try await snapshot(), context)
        }
        router.get("/events") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-store"
            let panel = self
            // Each stream lasts a few minutes (EventSource reconnects) and stops at shutdown.
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                let deadline = ContinuousClock.now + .seconds(panel.settings.eventStreamSeconds)
                while ContinuousClock.now < deadline, !Task.isCancelled, !Task.isShuttingDownGracefully {
                    if let snapshot = try? await panel.snapshot(),
                       let data = try? JSONSerialization.data(withJSONObject: snapshot.live, options: [.sortedKeys]) {
                        try await writer.write(ByteBuffer(string: "event: status\ndata: \(String(decoding: data, as: UTF8.self))\n\n"))
                    }
                    try? await Task.sleep(for: .seconds(panel.settings.eventIntervalSeconds))
                }
                try await writer.finish(nil)
            })
        }
    }

    func statusPage(_ snapshot: StatusSnapshot, _ context: PanelRequestContext) -> Response {
        let t = context.language
        let e = HTML.escape
        let status = snapshot.store
        var body = "<div class=\"grid\">"
        // Capture sources
        body += "<section id=\"capture\"><h2>\(e(t("Capture sources")))</h2>"
        if snapshot.system.captureSources.isEmpty {
            body += "<p class=\"na\">\(e(t("No capture source is configured.")))</p>"
        }
        for source in snapshot.system.captureSources {
            body += "<p><b>\(e(source.name))</b>: <span class=\"\(source.healthy ? "ok" : "fail")\">\(e(t(source.state)))</span>"
                + (source.detail.map { "<br><small>\(e($0))</small>" } ?? "") + "</p>"
        }
        body += "</section>"
        // Models
        body += "<section id=\"models\"><h2>\(e(t("Models")))</h2>"
        if let problem = snapshot.system.modelsProblem {
            body += "<p class=\"error\">\(e(t("Cannot read the model packages:"))) \(e(problem))</p>"
        } else if let models = snapshot.system.models, !models.isEmpty {
            for model in models.sorted(by: { $0.task < $1.task }) {
                body += "<p><b>\(e(model.task))</b>: \(e(model.active))" + (model.previous.map { " <small>(\(e(t("rollback to"))) \(e($0)))</small>" } ?? "") + "</p>"
            }
        } else {
            body += "<p class=\"na\">\(e(t("No model is active.")))</p>"
        }
        let analyses = status.analysesByStatus.sorted { $0.key < $1.key }.map { "\($0.value) \(t($0.key))" }.joined(separator: ", ")
        body += "<p>\(e(t("Analyses"))): \(analyses.isEmpty ? e(t("none")) : e(analyses))</p></section>"
        // Intake
        body += """
            <section id="intake"><h2>\(e(t("Intake")))</h2>
            <p>\(e(t("Today"))): <b data-live="intakeToday">\(snapshot.capturesToday)</b></p>
            <p>\(e(t("Studies"))): <span data-live="studies">\(status.studies)</span>; \(e(t("flagged for review"))): <span data-live="flagged">\(snapshot.flaggedStudies)</span></p>
            </section>
            """
        // Disk
        let storage = status.storage
        let days = snapshot.daysOfCapacity.map { String(format: "%.0f", $0) } ?? t("not enough intake yet to estimate")
        body += """
            <section id="disk"><h2>\(e(t("Disk")))</h2>
            <p>\(e(t("Free"))): <b data-live="diskFree">\(HTML.bytes(Int64(storage.availableBytes)))</b> / \(HTML.bytes(Int64(storage.totalBytes))) — \(e(t(storage.level.rawValue)))</p>
            <p>\(e(t("Images stored"))): \(HTML.bytes(Int64(storage.storeBytes))); \(e(t("unsynced"))): \(HTML.bytes(Int64(storage.unsyncedBytes)))</p>
            <p>\(e(t("Days of capacity left"))): <b>\(e(days))</b></p>
            </section>
            """
        // Host
        let host = snapshot.host
        let temperatures = host.temperatures.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.0f", $0.value)) °C" }.joined(separator: ", ")
        var uptime = "—"
        if let started = snapshot.system.startedAt {
            let seconds = Int(Date().timeIntervalSince(started))
            uptime = "\(seconds / 86_400)d \(seconds % 86_400 / 3600)h \(seconds % 3600 / 60)m"
        }
        body += """
            <section id="host"><h2>\(e(t("Box")))</h2>
            <p>\(e(t("CPU load"))): <span data-live="load">\(e(host.loadAverage.map { $0.map { String(format: "%.2f", $0) }.joined(separator: " ") } ?? "—"))</span></p>
            <p>\(e(t("Temperature"))): \(temperatures.isEmpty ? "<span class=\"na\">\(e(t("not exposed by this board")))</span>" : e(temperatures))</p>
            <p>\(e(t("Agent uptime"))): \(e(uptime)); \(e(t("version"))) \(e(snapshot.system.version))</p>
            </section></div>
            """
        // Sync
        body += "<section id=\"sync\"><h2>\(e(t("Sync")))</h2>"
        if status.destinations.isEmpty {
            body += "<p class=\"na\">\(e(t("No destination is configured.")))</p>"
        } else {
            body += "<table><tr><th>\(e(t("Destination")))</th><th>\(e(t("Unsent")))</th><th class=\"hide-narrow\">\(e(t("Oldest unsent")))</th><th>\(e(t("Last success")))</th><th>\(e(t("Rejected")))</th><th>\(e(t("Current error")))</th></tr>"
            for destination in status.destinations {
                body += """
                    <tr class="destination" data-destination="\(e(destination.destination))"><td>\(e(destination.destination))</td>
                    <td><span data-live="backlog-\(e(destination.destination))">\(destination.queued + destination.sending)</span> (\(HTML.bytes(destination.backlogBytes)))</td>
                    <td class="hide-narrow">\(HTML.dateTime(destination.oldestUnsentAt))</td><td>\(HTML.dateTime(destination.lastSentAt))</td>
                    <td>\(destination.rejected)</td><td>\(destination.lastError.map { "<span class=\"fail\">\(e($0))</span>" } ?? "—")</td></tr>
                    """
            }
            body += "</table>"
        }
        body += "</section>"
        // Problems
        body += "<section id=\"problems\"><h2>\(e(t("Recent errors")))</h2>"
        if status.recentProblems.isEmpty {
            body += "<p>\(e(t("None in the last 24 hours.")))</p>"
        } else {
            body += "<table>" + status.recentProblems.prefix(10).map { problem in
                "<tr><td>\(HTML.dateTime(problem.at))</td><td class=\"\(problem.severity.rawValue == "error" ? "fail" : "")\">\(e(problem.severity.rawValue))</td><td>\(e(problem.message))</td></tr>"
            }.joined() + "</table>"
        }
        body += "</section>"
        return page("Status", context, path: "/status", body: body)
    }
}
