import Foundation

/// The console's figures for a period: intake and results per day and per region and
/// institution (what the hub received), and per model version the post-market figures the
/// boxes' daily reports carry. Demonstration models stay out of every clinical figure: their
/// results are counted apart, and a version whose day had only a demonstration model's results
/// is a row of its own, marked.
struct ConsoleFigures: Sendable {
    /// Which devices count: those of a region, of an institution (by name), or all.
    struct Filter: Sendable, Hashable {
        var region: String?
        var institution: String?

        /// A device whose institution is not recorded counts only when nothing is filtered.
        func admits(_ place: DeviceInstitution?) -> Bool {
            if let region, place?.region != region { return false }
            if let institution, place?.name != institution { return false }
            return true
        }
    }

    struct Intake: Sendable, Hashable {
        var instances = 0
        var results = 0
        var flaggedResults = 0
        var demonstrationResults = 0

        mutating func add(_ day: DailyIntake) {
            PostMarketDay.add(&instances, day.instances)
            PostMarketDay.add(&results, day.results)
            PostMarketDay.add(&flaggedResults, day.flaggedResults)
            PostMarketDay.add(&demonstrationResults, day.demonstrationResults)
        }
    }

    /// A region and institution; nil: the operator has not recorded the device's.
    struct Place: Sendable, Hashable, Comparable {
        var region: String?
        var institution: String?

        static func < (a: Place, b: Place) -> Bool {
            // Recorded places first, by name; "not recorded" last.
            (a.region == nil ? 1 : 0, a.region ?? "", a.institution ?? "") < (b.region == nil ? 1 : 0, b.region ?? "", b.institution ?? "")
        }
    }

    /// One model version's post-market figures added up over devices (and days).
    struct PostMarket: Sendable, Hashable {
        var processed = 0
        var flagged = 0
        var retakesAdvised = 0
        var doctorAgree = 0
        var doctorDisagree = 0
        var doctorMissed = 0
        var errors = 0
        /// Σ p50 × processed and Σ processed, for the p50 weighted by the images behind it.
        var latencyWeighted = 0.0
        var latencyWeight = 0.0
        /// The highest p95 of a device that processed anything.
        var latencyP95ms: Double?

        /// The devices' medians weighted by what each processed (the true median over all
        /// images needs the images' latencies, which the boxes do not send).
        var latencyP50ms: Double? { latencyWeight > 0 ? latencyWeighted / latencyWeight : nil }

        mutating func add(_ day: PostMarketDay) {
            PostMarketDay.add(&processed, day.processed)
            PostMarketDay.add(&flagged, day.flagged)
            PostMarketDay.add(&retakesAdvised, day.retakesAdvised)
            PostMarketDay.add(&doctorAgree, day.doctorAgree)
            PostMarketDay.add(&doctorDisagree, day.doctorDisagree)
            PostMarketDay.add(&doctorMissed, day.doctorMissed ?? 0)
            PostMarketDay.add(&errors, day.errors)
            guard day.processed > 0, day.latencyP50ms.isFinite, day.latencyP95ms.isFinite else { return }
            latencyWeighted += day.latencyP50ms * Double(day.processed)
            latencyWeight += Double(day.processed)
            latencyP95ms = max(latencyP95ms ?? 0, day.latencyP95ms)
        }
    }

    struct Version: Sendable {
        var model: String
        var version: String
        var demonstration: Bool
        var devices: Set<String> = []
        var total = PostMarket()
        var byDay: [String: PostMarket] = [:]
    }

    /// The longest period the console adds up at once.
    static let longestPeriodDays = 366

    let from: String
    let to: String
    let days: [String]
    var intakeByDay: [String: Intake] = [:]
    var intakeTotal = Intake()
    var intakeByPlace: [Place: Intake] = [:]
    var intakeByRegion: [String?: Intake] = [:]
    /// Clinical versions first, then demonstration ones; by model and version.
    var versions: [Version] = []
    /// Demonstration results the counted daily reports already left out, and daily reports of
    /// demonstration-only days.
    var demonstrationResultsLeftOut = 0
    var demonstrationReports = 0

    init(
        from: String, to: String, days: [String], filter: Filter, intake: [DailyIntake], reports: [RegulatorReport.DailyReport],
        institutions: [String: DeviceInstitution]
    ) {
        self.from = from
        self.to = to
        self.days = days
        for entry in intake where entry.day >= from && entry.day <= to {
            let place = institutions[entry.device]
            guard filter.admits(place) else { continue }
            intakeByDay[entry.day, default: Intake()].add(entry)
            intakeTotal.add(entry)
            intakeByPlace[Place(region: place?.region, institution: place?.name), default: Intake()].add(entry)
            intakeByRegion[place?.region, default: Intake()].add(entry)
        }
        var versions: [String: Version] = [:]
        let decoder = JSONDecoder()
        for report in reports {
            guard filter.admits(institutions[report.device]), let day = PostMarketDay.read(report, from: from, to: to, decoder: decoder) else {
                continue
            }
            PostMarketDay.add(&demonstrationResultsLeftOut, day.demonstrationResultsLeftOut ?? 0)
            if day.isDemonstration { demonstrationReports += 1 }
            let key = [day.model, day.version, day.isDemonstration ? "demonstration" : "clinical"].joined(separator: "\u{0}")
            var version = versions[key] ?? Version(model: day.model, version: day.version, demonstration: day.isDemonstration)
            version.devices.insert(report.device)
            version.total.add(day)
            version.byDay[day.day, default: PostMarket()].add(day)
            versions[key] = version
        }
        self.versions = versions.values.sorted { ($0.demonstration ? 1 : 0, $0.model, $0.version) < ($1.demonstration ? 1 : 0, $1.model, $1.version) }
    }

    /// Every day of `from`…`to` (YYYY-MM-DD, UTC); nil when either is not a day, they are out
    /// of order, or the period is longer than ``longestPeriodDays``.
    static func days(from: String, to: String) -> [String]? {
        let formatter = dayFormatter()
        guard let first = formatter.date(from: from), let last = formatter.date(from: to), first <= last,
              formatter.string(from: first) == from, formatter.string(from: last) == to else { return nil }
        var days: [String] = []
        var day = first
        while day <= last {
            guard days.count < longestPeriodDays else { return nil }
            days.append(formatter.string(from: day))
            day += 86_400
        }
        return days
    }

    /// YYYY-MM-DD, UTC.
    static func dayFormatter() -> DateFormatter {
        ConsolePage.dateFormatter("yyyy-MM-dd")
    }
}
