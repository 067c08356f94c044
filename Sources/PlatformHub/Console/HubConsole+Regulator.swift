import BrowserAccess
import Foundation
import Hummingbird
import POSIXSupport

extension HubConsole {
    func addRegulatorRoutes(to router: Router<ConsoleRequestContext>) {
        router.get("/regulator") { request, context in
            let (from, to) = period(request)
            var preview: RegulatorReport?
            if request.uri.queryParameters.get("from") != nil {
                guard let from, let to else {
                    return message("Regulator report", context, path: "/regulator", status: .badRequest, context.language("The period is two days, YYYY-MM-DD, the first not after the last."))
                }
                preview = try await report(from: from, to: to)
            }
            return page("Regulator report", context, path: "/regulator", body: regulatorBody(context, from: from, to: to, report: preview))
        }
        router.get("/regulator/report") { request, context in
            guard case let (from?, to?) = period(request) else {
                return message("Regulator report", context, path: "/regulator", status: .badRequest, context.language("The period is two days, YYYY-MM-DD, the first not after the last."))
            }
            let report = try await report(from: from, to: to)
            switch request.uri.queryParameters.get("format") ?? "json" {
            case "csv":
                return download(report.csv(), contentType: "text/csv; charset=utf-8", filename: "regulator-report-\(from)-\(to).csv")
            case "json":
                let json = String(decoding: try JSONEncoder.indented().encode(report), as: UTF8.self)
                return download(json, contentType: "application/json", filename: "regulator-report-\(from)-\(to).json")
            default:
                return message("Regulator report", context, path: "/regulator", status: .badRequest, context.language("The format is json or csv."))
            }
        }
    }

    /// The asked period when both ends are days in order; nil ends otherwise (the form shows this month).
    func period(_ request: Request) -> (from: String?, to: String?) {
        let from = request.uri.queryParameters.get("from").map { String($0) }
        let to = request.uri.queryParameters.get("to").map { String($0) }
        guard let from, let to, RFC3339.isDate(from), RFC3339.isDate(to), from <= to else { return (nil, nil) }
        return (from, to)
    }

    func report(from: String, to: String) async throws(HubError) -> RegulatorReport {
        RegulatorReport(from: from, to: to, reports: try await store.dailyReports(from: from, to: to), institutions: try await store.institutions())
    }

    func regulatorBody(_ context: ConsoleRequestContext, from: String?, to: String?, report: RegulatorReport?) -> String {
        let t = context.language
        let e = HTMLText.escape
        let days = ISO8601DateFormatter()
        days.formatOptions = [.withFullDate]
        let today = days.string(from: now())
        let from = from ?? String(today.prefix(8)) + "01", to = to ?? today
        var html = """
            <section><form method="get" action="/regulator">
            <label for="from">\(e(t("First day")))</label><input id="from" name="from" type="date" value="\(e(from))">
            <label for="to">\(e(t("Last day")))</label><input id="to" name="to" type="date" value="\(e(to))">
            <p><button type="submit" id="show-report">\(e(t("Show")))</button></p>
            </form>
            <p class="na">\(e(t("Per model version and institution: registration certificate, software version, area of use, studies processed, results and errors (order No. 4472).")))</p>
            </section>
            """
        guard let report else { return html }
        let query = "from=\(HTMLText.percentEncode(from))&amp;to=\(HTMLText.percentEncode(to))"
        html += """
            <section><p><a class="button" id="download-json" href="/regulator/report?\(query)&amp;format=json">JSON</a> \
            <a class="button" id="download-csv" href="/regulator/report?\(query)&amp;format=csv">CSV</a></p>
            <table id="report"><thead><tr><th>\(e(t("Model")))</th><th>\(e(t("Registration")))</th><th>\(e(t("Region / institution")))</th>
            <th>\(e(t("Devices")))</th><th>\(e(t("Studies processed")))</th><th>\(e(t("Flagged for review")))</th><th>\(e(t("Retakes advised")))</th>
            <th>\(e(t("Processing errors")))</th><th>\(e(t("Doctor agree / disagree / missed")))</th></tr></thead><tbody>
            """
        for row in report.rows {
            html += "<tr><td>\(e("\(row.model)@\(row.version)"))</td><td>\(e([row.registrationNumber, row.registrationDate].compactMap { $0 }.joined(separator: " ")))</td>"
            html += "<td>\(e(row.region ?? "—"))<br><small>\(e(row.institution ?? ""))</small></td><td>\(row.devices)</td><td>\(row.studiesProcessed)</td>"
            html += "<td>\(row.flaggedForReview)</td><td>\(row.retakesAdvised)</td><td>\(row.processingErrors)</td><td>\(row.doctorAgree) / \(row.doctorDisagree) / \(row.doctorMissed)</td></tr>"
        }
        html += "</tbody></table>"
        if report.rows.isEmpty { html += "<p class=\"na\" id=\"report-empty\">\(e(t("No clinical post-market reports in this period.")))</p>" }
        if !report.leftOut.devicesWithoutInstitution.isEmpty {
            html += "<p class=\"error\">\(e(t("Left out, no institution recorded:"))) \(e(report.leftOut.devicesWithoutInstitution.joined(separator: ", ")))</p>"
        }
        return html + "</section>"
    }
}
