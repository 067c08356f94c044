import BrowserAccess
import Foundation
import Hummingbird
import POSIXSupport
import StudyStore

extension PanelApplication {
    /// Rows the failed-analyses page lists; the status page and the page's note count them all.
    static let failedAnalysesListed = 200

    func addAnalysisRoutes(to router: Router<PanelRequestContext>) {
        router.get("/analyses/failed") { request, context in
            let t = context.language
            let query = request.uri.queryParameters
            // Only the number is taken from the query, so nothing else can be echoed into the page.
            let notice: String? = if let id = query.get("retried").flatMap({ Int64($0) }) {
                t("Queued again: analysis") + " \(id)"
            } else if let id = query.get("dismissed").flatMap({ Int64($0) }) {
                t("Dismissed (it stays failed and leaves this list): analysis") + " \(id)"
            } else {
                nil
            }
            return try await failedAnalysesPage(context, notice: notice)
        }
        router.post("/analyses/:id/retry") { _, context in
            try await actOnFailedAnalysis(context, done: "retried") { store, id, actor in try store.retryAnalysis(id: id, by: actor) }
        }
        router.post("/analyses/:id/dismiss") { _, context in
            try await actOnFailedAnalysis(context, done: "dismissed") { store, id, actor in try store.dismissAnalysis(id: id, by: actor) }
        }
    }

    /// Who a panel action is audited as: the logged-in role, on the panel.
    static func actor(_ session: PanelSession) -> String {
        "\(session.role.rawValue) (panel)"
    }

    /// Retry or dismiss (`act`) for the technician, then back to the list with `done` in the
    /// query. An analysis someone already retried or dismissed is a 409 with a message on the
    /// list, not an error page.
    func actOnFailedAnalysis(
        _ context: PanelRequestContext, done: String, _ act: @escaping @Sendable (StudyStore, Int64, String) throws -> Void
    ) async throws -> Response {
        guard let session = context.session, session.role == .technician else {
            return forbidden(context, path: "/analyses/failed", "Only a technician can do this.")
        }
        let t = context.language
        guard let id = context.parameters.get("id", as: Int64.self) else {
            return try await failedAnalysesPage(context, refusal: (t("No such analysis."), nil), status: .notFound)
        }
        let store = self.store
        let actor = Self.actor(session)
        do {
            try await BlockingIO.run { try act(store, id, actor) }
        } catch let error as StoreError where error.code == .notFound {
            return try await failedAnalysesPage(context, refusal: (t("No such analysis."), error.detail), status: .notFound)
        } catch let error as StoreError where error.code == .wrongState {
            return try await failedAnalysesPage(context, refusal: (t("Nothing was changed: this analysis was already retried or dismissed."), error.detail), status: .conflict)
        }
        logger.notice("panel: failed analysis \(done)", metadata: ["analysis": "\(id)", "by": "\(actor)"])
        return redirect("/analyses/failed?\(done)=\(id)")
    }

    func failedAnalysesPage(
        _ context: PanelRequestContext, notice: String? = nil, refusal: (message: String, detail: String?)? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let store = self.store
        let (failed, total) = try await BlockingIO.run {
            (try store.failedAnalyses(limit: Self.failedAnalysesListed), try store.worklistCounters().failedAnalyses)
        }
        let t = context.language
        let e = HTMLText.escape
        var body = notice.map { "<p class=\"notice\" id=\"notice\">\(e($0))</p>" } ?? ""
        if let refusal {
            body += "<p class=\"error\" id=\"action-refused\">\(e(refusal.message))" + (refusal.detail.map { "<br><small>\(e($0))</small>" } ?? "") + "</p>"
        }
        body += "<section id=\"failed-analyses\"><p>\(e(t("Analyses that failed for good after every attempt. Retry runs one again with fresh attempts; Dismiss keeps it failed and stops listing it. Both are recorded in the audit log.")))</p>"
        guard !failed.isEmpty else {
            body += "<p class=\"na\">\(e(t("No analysis needs attention.")))</p></section>"
            return page("Failed analyses", context, path: "/analyses/failed", status: status, body: body)
        }
        if total > failed.count {
            body += "<p>\(e(t("The newest are listed; failed analyses in all:"))) \(total)</p>"
        }
        let technician = context.session.flatMap { $0.role == .technician ? $0 : nil }
        body += "<table id=\"failed-list\"><tr><th>\(e(t("Study / instance")))</th><th>\(e(t("Task")))</th><th>\(e(t("Attempts")))</th><th>\(e(t("Reason")))</th><th>\(e(t("Failed at")))</th>"
            + (technician == nil ? "" : "<th></th>") + "</tr>"
        for analysis in failed {
            body += "<tr class=\"failed-analysis\" data-analysis=\"\(analysis.id)\">"
                + "<td class=\"wrap\"><a href=\"/studies/\(HTMLText.percentEncode(analysis.studyInstanceUID))\">\(e(analysis.studyInstanceUID))</a><br><small>\(e(analysis.sopInstanceUID))</small></td>"
                + "<td>\(e(analysis.task))</td><td class=\"attempts\">\(analysis.attempts)</td><td class=\"wrap\">\(e(analysis.reason))</td><td>\(HTML.dateTime(analysis.failedAt))</td>"
            if let technician {
                body += "<td><form method=\"post\" action=\"/analyses/\(analysis.id)/retry\" class=\"inline\">\(HTML.csrfField(technician))"
                    + "<button type=\"submit\" id=\"retry-\(analysis.id)\">\(e(t("Retry")))</button></form> "
                    + "<form method=\"post\" action=\"/analyses/\(analysis.id)/dismiss\" class=\"inline\">\(HTML.csrfField(technician))"
                    + "<button type=\"submit\" class=\"secondary\" id=\"dismiss-\(analysis.id)\">\(e(t("Dismiss")))</button></form></td>"
            }
            body += "</tr>"
        }
        body += "</table>"
        if technician == nil {
            body += "<p class=\"na\">\(e(t("Retry and dismiss are for the technician.")))</p>"
        }
        body += "</section>"
        return page("Failed analyses", context, path: "/analyses/failed", status: status, body: body)
    }
}
