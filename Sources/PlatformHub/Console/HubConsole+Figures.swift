import BrowserAccess
import Foundation
import Hummingbird

extension HubConsole {
    func addFiguresRoutes(to router: Router<ConsoleRequestContext>) {
        router.get("/figures") { request, context in
            // Decoded as the browser encodes a GET form: a space is "+".
            let query = HTMLText.decodeForm(request.uri.query ?? "")
            func asked(_ name: String) -> String? { query[name].flatMap { $0.isEmpty ? nil : $0 } }
            // The last 30 days unless asked otherwise.
            let days = ConsoleFigures.dayFormatter()
            let to = asked("to") ?? days.string(from: now())
            let from = asked("from") ?? days.string(from: now() - 29 * 86_400)
            let filter = ConsoleFigures.Filter(region: asked("region"), institution: asked("institution"))
            guard let period = ConsoleFigures.days(from: from, to: to) else {
                return message("Figures", context, path: "/figures", status: .badRequest, context.language("The period is two days, YYYY-MM-DD, the first not after the last, at most 366 days."))
            }
            async let intake = store.dailyIntake(from: from, to: to)
            async let reports = store.dailyReports(from: from, to: to)
            async let places = store.institutions()
            let institutions = try await places
            let figures = ConsoleFigures(
                from: from, to: to, days: period, filter: filter, intake: try await intake, reports: try await reports, institutions: institutions
            )
            return page("Figures", context, path: "/figures", body: figuresBody(figures, filter: filter, institutions: institutions, context))
        }
    }

    func figuresBody(_ figures: ConsoleFigures, filter: ConsoleFigures.Filter, institutions: [String: DeviceInstitution], _ context: ConsoleRequestContext) -> String {
        let t = context.language
        let e = HTMLText.escape
        let places = Set(institutions.values.map { ConsoleFigures.Place(region: $0.region, institution: $0.name) }).sorted()
        let regions = Array(Set(places.compactMap(\.region))).sorted()
        func option(_ value: String, _ label: String, _ chosen: String?) -> String {
            "<option value=\"\(e(value))\"\(value == (chosen ?? "") ? " selected" : "")>\(e(label))</option>"
        }
        var html = """
            <section><form method="get" action="/figures" class="filters">
            <div><label for="from">\(e(t("First day")))</label><input id="from" name="from" type="date" value="\(e(figures.from))"></div>
            <div><label for="to">\(e(t("Last day")))</label><input id="to" name="to" type="date" value="\(e(figures.to))"></div>
            <div><label for="region">\(e(t("Region")))</label><select id="region" name="region">\(option("", t("All regions"), filter.region))\
            \(regions.map { option($0, $0, filter.region) }.joined())</select></div>
            <div><label for="institution">\(e(t("Institution")))</label><select id="institution" name="institution">\
            \(option("", t("All institutions"), filter.institution))\
            \(Array(Set(places.compactMap(\.institution))).sorted().map { option($0, $0, filter.institution) }.joined())</select></div>
            <div><button type="submit" id="show-figures">\(e(t("Show")))</button></div>
            </form>
            <p class="na">\(e(t("Days are UTC days; images and results count on the day the hub received them, post-market figures on the day the box counted them.")))</p>
            </section>
            """
        html += intakeSection(figures, context)
        html += placesSection(figures, context)
        html += postMarketSection(figures, context)
        return html
    }

    private func intakeSection(_ figures: ConsoleFigures, _ context: ConsoleRequestContext) -> String {
        let t = context.language
        let e = HTMLText.escape
        let total = figures.intakeTotal
        let perDay = figures.days.map { figures.intakeByDay[$0] ?? ConsoleFigures.Intake() }
        let chart = SVGChart(title: t("Intake and results per day"), categories: figures.days.map { String($0.dropFirst(5)) }, series: [
            .init(t("Images received"), perDay.map { Double($0.instances) }, mark: .bars, color: SVGChart.palette[0]),
            .init(t("Clinical results"), perDay.map { Double($0.results) }, mark: .line, color: SVGChart.palette[2]),
            .init(t("Flagged for review"), perDay.map { Double($0.flaggedResults) }, mark: .line, color: SVGChart.palette[3]),
        ], wholeNumbers: true)
        var html = """
            <section><h2>\(e(t("Intake and results per day")))</h2><div class="grid">
            <div><div class="figure" id="total-images">\(total.instances)</div>\(e(t("Images received")))</div>
            <div><div class="figure" id="total-results">\(total.results)</div>\(e(t("Clinical results")))</div>
            <div><div class="figure" id="total-flagged">\(total.flaggedResults)</div>\(e(t("Flagged for review")))</div>
            <div><div class="figure demo" id="total-demonstration">\(total.demonstrationResults)</div>\(e(t("Demonstration results (not clinical, left out of the figures)")))</div>
            </div>
            \(chart.render(id: "chart-intake"))
            <table id="intake-days"><thead><tr><th>\(e(t("Day")))</th><th>\(e(t("Images received")))</th><th>\(e(t("Clinical results")))</th>
            <th>\(e(t("Flagged for review")))</th><th class="demo">\(e(t("Demonstration results")))</th></tr></thead><tbody>
            """
        for (day, intake) in zip(figures.days, perDay).reversed() {
            html += "<tr id=\"intake-\(day)\"><td>\(day)</td>\(intakeCells(intake))</tr>"
        }
        return html + "</tbody></table></section>"
    }

    private func placesSection(_ figures: ConsoleFigures, _ context: ConsoleRequestContext) -> String {
        let t = context.language
        let e = HTMLText.escape
        var html = """
            <section><h2>\(e(t("Per region and institution")))</h2>
            <table id="intake-places"><thead><tr><th>\(e(t("Region")))</th><th>\(e(t("Institution")))</th><th>\(e(t("Images received")))</th>
            <th>\(e(t("Clinical results")))</th><th>\(e(t("Flagged for review")))</th><th class="demo">\(e(t("Demonstration results")))</th></tr></thead><tbody>
            """
        let notRecorded = "<span class=\"na\">\(e(t("not recorded")))</span>"
        var region: String?? = .none
        for (place, intake) in figures.intakeByPlace.sorted(by: { $0.key < $1.key }) {
            if region != .some(place.region) {
                region = .some(place.region)
                html += "<tr class=\"subtotal\"><th>\(place.region.map(e) ?? notRecorded)</th><th>\(e(t("all")))</th>"
                html += intakeCells(figures.intakeByRegion[place.region] ?? .init(), cell: "th") + "</tr>"
            }
            html += "<tr><td></td><td>\(place.institution.map(e) ?? notRecorded)</td>\(intakeCells(intake))</tr>"
        }
        html += "</tbody></table>"
        if figures.intakeByPlace.isEmpty { html += "<p class=\"na\" id=\"places-empty\">\(e(t("Nothing received in this period.")))</p>" }
        return html + "</section>"
    }

    private func intakeCells(_ intake: ConsoleFigures.Intake, cell: String = "td") -> String {
        "<\(cell)>\(intake.instances)</\(cell)><\(cell)>\(intake.results)</\(cell)><\(cell)>\(intake.flaggedResults)</\(cell)>"
            + "<\(cell) class=\"demo\">\(intake.demonstrationResults)</\(cell)>"
    }

    private func postMarketSection(_ figures: ConsoleFigures, _ context: ConsoleRequestContext) -> String {
        let t = context.language
        let e = HTMLText.escape
        var html = """
            <section><h2>\(e(t("Post-market figures per model version")))</h2>
            <table id="versions"><thead><tr><th>\(e(t("Model")))</th><th>\(e(t("Devices")))</th><th>\(e(t("Studies processed")))</th>
            <th>\(e(t("Flagged for review")))</th><th>\(e(t("Retakes advised")))</th><th>\(e(t("Doctor agree / disagree / missed")))</th>
            <th>\(e(t("Latency p50 / p95, ms")))</th><th>\(e(t("Processing errors")))</th></tr></thead><tbody>
            """
        for (index, version) in figures.versions.enumerated() {
            let total = version.total
            let mark = version.demonstration ? " <span class=\"badge demo\">\(e(t("demonstration model, not clinical")))</span>" : ""
            html += "<tr id=\"version-\(index)\"\(version.demonstration ? " class=\"demo\"" : "")><td>\(e("\(version.model)@\(version.version)"))\(mark)</td>"
            html += "<td>\(version.devices.count)</td><td>\(total.processed)</td><td>\(total.flagged)</td><td>\(total.retakesAdvised)</td>"
            html += "<td>\(total.doctorAgree) / \(total.doctorDisagree) / \(total.doctorMissed)</td>"
            html += "<td>\(Self.latency(total.latencyP50ms)) / \(Self.latency(total.latencyP95ms))</td><td>\(total.errors)</td></tr>"
        }
        html += "</tbody></table>"
        if figures.versions.isEmpty { html += "<p class=\"na\" id=\"versions-empty\">\(e(t("No post-market reports in this period.")))</p>" }
        if figures.demonstrationResultsLeftOut > 0 || figures.demonstrationReports > 0 {
            html += "<p class=\"na\" id=\"demonstration-note\">\(e(t("Demonstration models' results are left out of every clinical figure; results left out:"))) \(figures.demonstrationResultsLeftOut)</p>"
        }
        html += "<p class=\"na\">\(e(t("p50: the devices' medians weighted by the images each processed; p95: the highest device's.")))</p>"
        let labels = figures.days.map { String($0.dropFirst(5)) }
        for (index, version) in figures.versions.enumerated() where !version.demonstration {
            let perDay = figures.days.map { version.byDay[$0] }
            let name = "\(version.model)@\(version.version)"
            let verdicts = SVGChart(title: name + " — " + t("Doctor agree / disagree / missed"), categories: labels, series: [
                .init(t("agree"), perDay.map { $0.map { Double($0.doctorAgree) } }, mark: .bars, color: SVGChart.palette[2]),
                .init(t("disagree"), perDay.map { $0.map { Double($0.doctorDisagree) } }, mark: .bars, color: SVGChart.palette[3]),
                .init(t("missed"), perDay.map { $0.map { Double($0.doctorMissed) } }, mark: .bars, color: SVGChart.palette[1]),
            ], wholeNumbers: true, width: 560, height: 220)
            let latencies = SVGChart(title: name + " — " + t("Latency p50 / p95, ms"), categories: labels, series: [
                .init("p50", perDay.map { $0?.latencyP50ms }, mark: .line, color: SVGChart.palette[0]),
                .init("p95", perDay.map { $0?.latencyP95ms }, mark: .line, color: SVGChart.palette[4]),
            ], unit: t("ms"), width: 560, height: 220)
            html += "<h3>\(e(name))</h3><div class=\"charts\">\(verdicts.render(id: "chart-verdicts-\(index)"))\(latencies.render(id: "chart-latency-\(index)"))</div>"
        }
        return html + "</section>"
    }
}
