import BrowserAccess
import Foundation
import Hummingbird
import POSIXSupport

extension HubConsole {
    func addShadowRunRoutes(to router: Router<ConsoleRequestContext>) {
        // Every role reads it; `format=json` is the same figures for a program.
        router.get("/shadow-runs") { request, context in
            let query = HTMLText.decodeForm(request.uri.query ?? "")
            func asked(_ name: String) -> String? { query[name].flatMap { $0.isEmpty ? nil : $0 } }
            let json: Bool
            switch asked("format") ?? "html" {
            case "html": json = false
            case "json": json = true
            default:
                return message("Shadow runs", context, path: "/shadow-runs", status: .badRequest, context.language("The format is html or json."))
            }
            let days = ConsoleFigures.dayFormatter()
            let to = asked("to") ?? days.string(from: now())
            let from = asked("from") ?? days.string(from: now() - 29 * 86_400)
            guard ConsoleFigures.days(from: from, to: to) != nil else {
                let problem = "The period is two days, YYYY-MM-DD, the first not after the last, at most 366 days."
                if json { return text(problem, status: .badRequest) }
                return message("Shadow runs", context, path: "/shadow-runs", status: .badRequest, context.language(problem))
            }
            async let totals = shadowAgreements.totals(from: from, to: to, store: store)
            async let places = store.institutions()
            let institutions = try await places
            let runs = ConsoleShadowRuns(from: from, to: to, region: asked("region"), totals: try await totals, institutions: institutions)
            if json {
                return text(String(decoding: try JSONEncoder.indented().encode(runs), as: UTF8.self), contentType: "application/json")
            }
            let regions = Set(institutions.values.map(\.region)).sorted()
            return page("Shadow runs", context, path: "/shadow-runs", body: shadowRunsBody(runs, regions: regions, context))
        }
    }

    func shadowRunsBody(_ runs: ConsoleShadowRuns, regions: [String], _ context: ConsoleRequestContext) -> String {
        let t = context.language
        let e = HTMLText.escape
        func option(_ value: String, _ label: String) -> String {
            "<option value=\"\(e(value))\"\(value == (runs.region ?? "") ? " selected" : "")>\(e(label))</option>"
        }
        var query = "from=\(HTMLText.percentEncode(runs.from))&amp;to=\(HTMLText.percentEncode(runs.to))"
        if let region = runs.region { query += "&amp;region=\(HTMLText.percentEncode(region))" }
        var html = """
            <section><form method="get" action="/shadow-runs" class="filters">
            <div><label for="from">\(e(t("First day")))</label><input id="from" name="from" type="date" value="\(e(runs.from))"></div>
            <div><label for="to">\(e(t("Last day")))</label><input id="to" name="to" type="date" value="\(e(runs.to))"></div>
            <div><label for="region">\(e(t("Region")))</label><select id="region" name="region">\(option("", t("All regions")))\
            \(regions.map { option($0, $0) }.joined())</select></div>
            <div><button type="submit" id="show-shadow-runs">\(e(t("Show")))</button></div>
            <div><a class="button" id="shadow-runs-json" href="/shadow-runs?\(query)&amp;format=json">JSON</a></div>
            </form>
            <p class="na">\(e(t("Per site, how a shadow package agreed with the active one on the same images, per finding: calibrate on a region's own images before switching to it.")))</p>
            <p class="na">\(e(t("Agreement: both flagged or neither, of the images compared. Positive agreement: 2 × both ÷ (2 × both + only active + only shadow), agreement on what to flag. More only-shadow than only-active: the shadow flags more at its threshold.")))</p>
            <p class="na">\(e(t("Days are the days the boxes counted (UTC); a device's day counts once. Latency is the shadow's: p50 the devices' daily medians weighted by the images each read, p95 the highest day's.")))</p>
            <p class="na" id="minimum-images">\(e(t("Figures behind fewer images than this are marked not yet meaningful and left out of the charts:"))) \(ConsoleShadowRuns.minimumImages)</p>
            </section>
            """
        for (index, pair) in runs.pairs.enumerated() {
            html += shadowPairSection(pair, index: index, context)
        }
        if runs.pairs.isEmpty {
            html += "<section><p class=\"na\" id=\"shadow-runs-empty\">\(e(t("No shadow agreements in this period.")))</p></section>"
        }
        return html
    }

    private func shadowPairSection(_ pair: ConsoleShadowRuns.Pair, index: Int, _ context: ConsoleRequestContext) -> String {
        let t = context.language
        let e = HTMLText.escape
        let shadow = "\(pair.shadowModel)@\(pair.shadowVersion)", active = "\(pair.activeModel)@\(pair.activeVersion)"
        let notRecorded = "<span class=\"na\">\(e(t("not recorded")))</span>"
        var html = """
            <section id="pair-\(index)"><h2>\(e(t("Shadow"))) \(e(shadow)) · \(e(t("active"))) \(e(active))</h2>
            <p>\(e(t("Task"))): \(e(pair.task))</p>
            <table id="pair-\(index)-sites"><thead><tr><th>\(e(t("Region / institution")))</th><th>\(e(t("Devices")))</th>
            <th>\(e(t("Images read")))</th><th>\(e(t("Shadow errors")))</th><th>\(e(t("Latency p50 / p95, ms")))</th><th>\(e(t("Finding")))</th>
            <th>\(e(t("Images compared")))</th><th>\(e(t("Both flagged")))</th><th>\(e(t("Only active")))</th><th>\(e(t("Only shadow")))</th>
            <th>\(e(t("Neither")))</th><th>\(e(t("Agreement")))</th><th>\(e(t("Positive agreement")))</th></tr></thead><tbody>
            """
        let rows = pair.sites.enumerated().map { ("pair-\(index)-site-\($0.offset)", $0.element, false) }
            + (pair.sites.count > 1 ? [("pair-\(index)-all", pair.allSites, true)] : [])
        for (id, site, isTotal) in rows {
            let place = isTotal
                ? e(t("All sites"))
                : site.institution.map { "\(e(site.region ?? ""))<br><small>\(e($0))</small>" } ?? notRecorded
            let span = max(site.findings.count, 1)
            let cell = isTotal ? "th" : "td"
            let siteCells = "<\(cell) rowspan=\"\(span)\">\(place)</\(cell)><td rowspan=\"\(span)\">\(site.devices)</td><td rowspan=\"\(span)\">\(site.images)</td>"
                + "<td rowspan=\"\(span)\">\(site.errors)</td><td rowspan=\"\(span)\">\(Self.latency(site.latencyP50ms)) / \(Self.latency(site.latencyP95ms))</td>"
            if site.findings.isEmpty {
                html += "<tr id=\"\(id)\"\(isTotal ? " class=\"subtotal\"" : "")>\(siteCells)<td colspan=\"8\" class=\"na\">\(e(t("no findings counted")))</td></tr>"
            }
            for (number, finding) in site.findings.enumerated() {
                var classes = isTotal ? ["subtotal"] : []
                if !finding.meaningful { classes.append("thin") }
                html += "<tr id=\"\(id)-finding-\(number)\"\(classes.isEmpty ? "" : " class=\"\(classes.joined(separator: " "))\"")>"
                html += (number == 0 ? siteCells : "") + "<td>\(e(finding.id))</td><td>\(finding.images)</td><td>\(finding.bothFlagged)</td>"
                html += "<td>\(finding.onlyActive) (\(Self.percent(finding.onlyActivePercent)))</td><td>\(finding.onlyShadow) (\(Self.percent(finding.onlyShadowPercent)))</td>"
                html += "<td>\(finding.neither)</td><td>\(Self.percent(finding.agreementPercent))"
                if !finding.meaningful { html += " <span class=\"badge thin\">\(e(t("too few images, not yet meaningful")))</span>" }
                html += "</td><td>\(Self.percent(finding.positiveAgreementPercent))</td></tr>"
            }
        }
        html += "</tbody></table>"
        // One bar per site and finding: the agreement of each figure that means something yet.
        let findings = Array(Set(pair.sites.flatMap { $0.findings.map(\.id) })).sorted()
        let chart = SVGChart(
            title: "\(shadow) · \(active) — " + t("Agreement per site and finding, %"),
            categories: pair.sites.map { site in site.institution.map { Self.shortened($0) } ?? t("not recorded") },
            series: findings.enumerated().map { number, id in
                .init(id, pair.sites.map { site in
                    site.findings.first { $0.id == id && $0.meaningful }?.agreementPercent
                }, mark: .bars, color: SVGChart.palette[number % SVGChart.palette.count])
            }, unit: "%")
        return html + chart.render(id: "chart-pair-\(index)") + "</section>"
    }

    /// One decimal and a percent sign; a dash for nothing to divide by.
    static func percent(_ value: Double?) -> String {
        value.map { String(format: "%.1f %%", $0) } ?? "—"
    }

    /// Whole milliseconds; a dash for none (the Figures page's and this page's latencies).
    static func latency(_ value: Double?) -> String { value.map { String(format: "%.0f", $0) } ?? "—" }

    /// A category label the chart's column can hold.
    private static func shortened(_ name: String) -> String {
        name.count > 18 ? String(name.prefix(17)) + "…" : name
    }
}
