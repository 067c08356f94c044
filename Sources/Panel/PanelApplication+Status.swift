import BrowserAccess
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
    /// Failed analyses nobody retried or dismissed yet.
    var failedAnalyses: Int
    var studiesVersion: String

    /// Days until the hard limit at the last week's rate, counting what eviction can free.
    var daysOfCapacity: Double? { CapacityEstimate.days(storage: store.storage, dailyIntakeBytes: dailyIntakeBytes) }

    /// Small JSON for server-sent events, in the page's language.
    func live(_ t: PanelLanguage) -> [String: String] {
        var values = [
            "intakeToday": String(capturesToday),
            "studies": String(store.studies),
            "flagged": String(flaggedStudies),
            "failedAnalyses": String(failedAnalyses),
            "diskFree": HTMLText.bytes(Int64(store.storage.availableBytes)),
            "studiesVersion": studiesVersion,
            "load": host.loadAverage.map { $0.map { String(format: "%.2f", $0) }.joined(separator: " ") } ?? "—",
        ]
        for row in syncRows {
            values["backlog-\(row.destination)"] = String(row.unsent)
            values["phase-\(row.destination)"] = t(row.phase?.rawValue ?? "sync not running")
            values["error-\(row.destination)"] = row.currentError ?? "—"
        }
        return values
    }

    /// One line of the sync table: the store's outbox (backlog, oldest, sent) joined with what
    /// the destination's sync worker last said (phase, failures, current error).
    struct SyncRow: Sendable {
        var destination: String
        var unsent: Int
        var backlogBytes: Int64
        var oldestUnsentAt: Date?
        var lastSuccessAt: Date?
        var rejected: Int
        var phase: SyncPhase?
        var consecutiveFailures: Int
        var currentError: String?
        var unsentByKind: [String: Int]
    }

    var syncRows: [SyncRow] {
        var rows: [SyncRow] = store.destinations.map { backlog in
            SyncRow(
                destination: backlog.destination, unsent: backlog.queued + backlog.sending, backlogBytes: backlog.backlogBytes,
                oldestUnsentAt: backlog.oldestUnsentAt, lastSuccessAt: backlog.lastSentAt, rejected: backlog.rejected,
                phase: nil, consecutiveFailures: 0, currentError: backlog.lastError, unsentByKind: backlog.unsentByKind
            )
        }
        for state in system.sync {
            let index = rows.firstIndex { $0.destination == state.destination } ?? {
                rows.append(SyncRow(destination: state.destination, unsent: 0, backlogBytes: 0, rejected: 0, consecutiveFailures: 0, unsentByKind: [:]))
                return rows.count - 1
            }()
            rows[index].phase = state.phase
            rows[index].consecutiveFailures = state.consecutiveFailures
            if let success = state.lastSuccessAt, success > (rows[index].lastSuccessAt ?? .distantPast) { rows[index].lastSuccessAt = success }
            // The worker's error is current; after a success it clears it, and the outbox's
            // last error (from an older attempt) is no longer current either.
            rows[index].currentError = state.lastError
        }
        return rows.sorted { $0.destination < $1.destination }
    }
}

extension PanelApplication {
    func snapshot() async throws -> StatusSnapshot {
        let system = await hooks.system()
        let store = self.store
        return try await BlockingIO.run {
            let status = try store.status()
            let counters = try store.worklistCounters()
            return StatusSnapshot(
                system: system, store: status, host: HostReadings.read(),
                dailyIntakeBytes: try store.averageDailyIntakeBytes(),
                flaggedStudies: counters.flaggedStudies, capturesToday: counters.capturesToday,
                failedAnalyses: counters.failedAnalyses, studiesVersion: counters.version
            )
        }
    }

    func addStatusRoutes(to router: Router<PanelRequestContext>) {
        router.get("/status") { request, context in
            // Only the number is taken from the query, so nothing else can be echoed into the page.
            let cleared = request.uri.queryParameters.get("quarantine-cleared").flatMap { Int($0) }
            return statusPage(try await snapshot(), context, notice: cleared.map { context.language("Quarantine cleared, files removed:") + " \($0)" })
        }
        router.post("/quarantine/clear") { _, context in
            guard let session = context.session, session.role == .technician else {
                return forbidden(context, path: "/status", "Only a technician can do this.")
            }
            let store = self.store
            let actor = Self.actor(session)
            // The store audits the clearing with the actor.
            let cleared = try await BlockingIO.run { try store.clearQuarantine(by: actor) }
            logger.notice("panel: quarantine cleared", metadata: ["files": "\(cleared.files)", "by": "\(actor)"])
            return redirect("/status?quarantine-cleared=\(cleared.files)")
        }
        router.get("/events") { _, context in
            let language = context.language
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-store"
            let panel = self
            // Each stream lasts a few minutes (EventSource reconnects) and stops at shutdown.
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                let deadline = ContinuousClock.now + .seconds(panel.settings.eventStreamSeconds)
                while ContinuousClock.now < deadline, !Task.isCancelled, !Task.isShuttingDownGracefully {
                    if let snapshot = try? await panel.snapshot(),
                       let data = try? JSONSerialization.data(withJSONObject: snapshot.live(language), options: [.sortedKeys]) {
                        try await writer.write(ByteBuffer(string: "event: status\ndata: \(String(decoding: data, as: UTF8.self))\n\n"))
                    }
                    try? await Task.sleep(for: .seconds(panel.settings.eventIntervalSeconds))
                }
                try await writer.finish(nil)
            })
        }
    }

    func statusPage(_ snapshot: StatusSnapshot, _ context: PanelRequestContext, notice: String? = nil) -> Response {
        let t = context.language
        let e = HTMLText.escape
        let status = snapshot.store
        var body = notice.map { "<p class=\"notice\" id=\"notice\">\(e($0))</p>" } ?? ""
        if let clock = snapshot.system.clockProblem {
            body += "<p class=\"error\" id=\"clock-warning\"><b>\(e(t("The clock is wrong:")))</b> \(e(clock))</p>"
        }
        body += "<div class=\"grid\">"
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
                body += "<p><b>\(e(model.task))</b>: \(e(model.active))"
                    + (model.demonstration ? " <span class=\"badge demo-mark\">\(e(t("demonstration model")))</span>" : "")
                    + (model.previous.map { " <small>(\(e(t("rollback to"))) \(e($0)))</small>" } ?? "") + "</p>"
            }
        } else {
            body += "<p class=\"na\">\(e(t("No model is active.")))</p>"
        }
        let analyses = status.analysesByStatus.sorted { $0.key < $1.key }.map { "\($0.value) \(t($0.key))" }.joined(separator: ", ")
        body += "<p>\(e(t("Analyses"))): \(analyses.isEmpty ? e(t("none")) : e(analyses))</p>"
        body += "<p>\(e(t("Failed analyses needing attention"))): <a href=\"/analyses/failed\" id=\"failed-analyses\"><b data-live=\"failedAnalyses\">\(snapshot.failedAnalyses)</b></a></p></section>"
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
        let used = storage.totalBytes > storage.availableBytes ? storage.totalBytes - storage.availableBytes : 0
        let usedPercent = storage.totalBytes > 0 ? Double(used) * 100 / Double(storage.totalBytes) : 0
        body += """
            <section id="disk"><h2>\(e(t("Disk")))</h2>
            <p>\(e(t("Used"))): <b>\(HTMLText.bytes(Int64(used)))</b> (\(String(format: "%.0f", usedPercent))%) \(e(t("of"))) \(HTMLText.bytes(Int64(storage.totalBytes)))</p>
            <p>\(e(t("Free"))): <b data-live="diskFree">\(HTMLText.bytes(Int64(storage.availableBytes)))</b> — \(e(t(storage.level.rawValue)))</p>
            <p>\(e(t("Images stored"))): \(HTMLText.bytes(Int64(storage.storeBytes))); \(e(t("unsynced"))): \(HTMLText.bytes(Int64(storage.unsyncedBytes)))</p>
            <p>\(e(t("Days of capacity left"))): <b>\(e(days))</b></p>
            </section>
            """
        body += quarantineSection(status.quarantine, context)
        // Host
        let host = snapshot.host
        let temperatures = host.temperatures.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.0f", $0.value)) °C" }.joined(separator: ", ")
        var uptime = "—"
        if let started = snapshot.system.startedAt {
            let seconds = Int(Date().timeIntervalSince(started))
            uptime = HTML.duration(seconds: seconds, t)
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
        let rows = snapshot.syncRows
        if rows.isEmpty {
            body += "<p class=\"na\">\(e(t("No destination is configured.")))</p>"
        } else {
            body += "<table><tr><th>\(e(t("Destination")))</th><th>\(e(t("State")))</th><th>\(e(t("Unsent")))</th><th>\(e(t("Oldest unsent")))</th><th>\(e(t("Last success")))</th><th class=\"hide-narrow\">\(e(t("Rejected")))</th><th>\(e(t("Current error")))</th></tr>"
            let now = Date()
            for row in rows {
                let d = e(row.destination)
                let phase = row.phase.map { t($0.rawValue) } ?? t("sync not running")
                let failures = row.consecutiveFailures > 0 ? " <small>(\(e(t("failures in a row"))): \(row.consecutiveFailures))</small>" : ""
                let oldest = row.oldestUnsentAt.map { "\(e(HTML.duration(seconds: Int(now.timeIntervalSince($0)), t))) <small>(\(HTML.dateTime($0)))</small>" } ?? "—"
                let kinds = row.unsentByKind.sorted { $0.key < $1.key }.map { "\($0.value) \(t($0.key))" }.joined(separator: ", ")
                body += """
                    <tr class="destination" data-destination="\(d)"><td>\(d)</td>
                    <td class="\(row.currentError == nil ? "" : "fail")"><span data-live="phase-\(d)">\(e(phase))</span>\(failures)</td>
                    <td><span data-live="backlog-\(d)">\(row.unsent)</span> (\(HTMLText.bytes(row.backlogBytes)))\(kinds.isEmpty ? "" : "<br><small>\(e(kinds))</small>")</td>
                    <td>\(oldest)</td><td>\(HTML.dateTime(row.lastSuccessAt))</td>
                    <td class="hide-narrow">\(row.rejected)</td><td class="wrap"><span class="\(row.currentError == nil ? "" : "fail")" data-live="error-\(d)">\(e(row.currentError ?? "—"))</span></td></tr>
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
                "<tr><td>\(HTML.dateTime(problem.at))</td><td class=\"\(problem.severity.rawValue == "error" ? "fail" : "")\">\(e(problem.severity.rawValue))</td><td class=\"wrap\">\(e(problem.message))</td></tr>"
            }.joined() + "</table>"
        }
        body += "</section>"
        return page("Status", context, path: "/status", body: body)
    }

    /// What quarantine/ holds against its bounds, with the technician's Clear button.
    func quarantineSection(_ quarantine: QuarantineSummary?, _ context: PanelRequestContext) -> String {
        let t = context.language
        let e = HTMLText.escape
        var body = "<section id=\"quarantine\"><h2>\(e(t("Quarantine")))</h2>"
        guard let quarantine else {
            return body + "<p class=\"error\">\(e(t("Cannot read the quarantine folder.")))</p></section>"
        }
        body += "<p>\(e(t("Files that could not be identified, kept for inspection.")))</p>"
        body += "<p>\(e(t("Files"))): <b id=\"quarantine-files\">\(quarantine.files)</b> (\(HTMLText.bytes(Int64(clamping: quarantine.bytes))))"
            + "<br><small>\(e(t("limit"))) \(quarantine.maximumFiles) \(e(t("files"))), \(HTMLText.bytes(Int64(clamping: quarantine.maximumBytes)))</small></p>"
        if quarantine.files > 0, let session = context.session, session.role == .technician {
            body += "<form method=\"post\" action=\"/quarantine/clear\">\(HTML.csrfField(session))<button type=\"submit\" id=\"clear-quarantine\">\(e(t("Clear the quarantine")))</button></form>"
        }
        return body + "</section>"
    }
}
