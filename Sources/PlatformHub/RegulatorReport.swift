import Foundation
import POSIXSupport

/// The figures a region sends the regulator for a period, per model version and institution
/// (Roszdravnadzor order No. 4472 of 2025-07-21 lists what AI medical software transmits): the
/// registration certificate's number and date, the software version, the area of use, studies
/// processed, their results (flagged for review, retakes advised) and processing errors, and
/// the institution's tax ID or OID.
///
/// Built from the boxes' daily post-market reports, which already leave a demonstration model's
/// results out; a report whose newest results were a demonstration model's is left out whole,
/// and counted, so a demonstration model never appears as a registered product's figures.
public struct RegulatorReport: Codable, Sendable, Hashable {
    /// First and last day of the period (YYYY-MM-DD, UTC, both included).
    public var from: String
    public var to: String
    public var rows: [Row]
    public var leftOut: LeftOut

    public struct Row: Codable, Sendable, Hashable {
        public var model: String
        /// The model version: the registered software's version.
        public var version: String
        public var registrationNumber: String?
        public var registrationDate: String?
        /// The intended use the model's signed manifest states.
        public var areaOfUse: String?
        public var region: String?
        public var institution: String?
        public var institutionTaxID: String?
        public var institutionOID: String?
        public var devices: Int
        public var studiesProcessed: Int
        public var flaggedForReview: Int
        public var retakesAdvised: Int
        public var processingErrors: Int
        public var doctorAgree: Int
        public var doctorDisagree: Int
        public var doctorMissed: Int
    }

    public struct LeftOut: Codable, Sendable, Hashable {
        /// Daily reports whose model version is a demonstration model's.
        public var demonstrationReports = 0
        /// Results of a demonstration model the counted reports already left out.
        public var demonstrationResults = 0
        /// Devices counted whose institution the operator has not recorded.
        public var devicesWithoutInstitution: [String] = []
    }

    /// One device's daily post-market report as the hub holds it.
    public struct DailyReport: Sendable {
        public var device: String
        public var body: [UInt8]

        public init(device: String, body: [UInt8]) {
            self.device = device
            self.body = body
        }
    }

    /// Adds up `reports` of days `from`…`to` per model version and institution.
    public init(from: String, to: String, reports: [DailyReport], institutions: [String: DeviceInstitution]) {
        self.from = from
        self.to = to
        var leftOut = LeftOut()
        var rows: [String: Row] = [:]
        var devices: [String: Set<String>] = [:]
        var uncovered = Set<String>()
        let decoder = JSONDecoder()
        for report in reports {
            guard let figures = PostMarketDay.read(report, from: from, to: to, decoder: decoder) else { continue }
            if figures.isDemonstration {
                leftOut.demonstrationReports += 1
                PostMarketDay.add(&leftOut.demonstrationResults, figures.demonstrationResultsLeftOut ?? 0)
                continue
            }
            PostMarketDay.add(&leftOut.demonstrationResults, figures.demonstrationResultsLeftOut ?? 0)
            let institution = institutions[report.device]
            if institution == nil { uncovered.insert(report.device) }
            let group = [figures.model, figures.version, institution?.taxID ?? "", institution?.oid ?? "", institution == nil ? report.device : ""]
                .joined(separator: "\u{0}")
            var row = rows[group] ?? Row(
                model: figures.model, version: figures.version, region: institution?.region, institution: institution?.name,
                institutionTaxID: institution?.taxID, institutionOID: institution?.oid, devices: 0, studiesProcessed: 0,
                flaggedForReview: 0, retakesAdvised: 0, processingErrors: 0, doctorAgree: 0, doctorDisagree: 0, doctorMissed: 0
            )
            // The registration the version's results carried; days without results carry none.
            row.registrationNumber = row.registrationNumber ?? figures.registrationNumber
            row.registrationDate = row.registrationDate ?? figures.registrationDate
            row.areaOfUse = row.areaOfUse ?? figures.intendedUse
            PostMarketDay.add(&row.studiesProcessed, figures.processed)
            PostMarketDay.add(&row.flaggedForReview, figures.flagged)
            PostMarketDay.add(&row.retakesAdvised, figures.retakesAdvised)
            PostMarketDay.add(&row.processingErrors, figures.errors)
            PostMarketDay.add(&row.doctorAgree, figures.doctorAgree)
            PostMarketDay.add(&row.doctorDisagree, figures.doctorDisagree)
            PostMarketDay.add(&row.doctorMissed, figures.doctorMissed ?? 0)
            devices[group, default: []].insert(report.device)
            rows[group] = row
        }
        for (group, members) in devices { rows[group]?.devices = members.count }
        leftOut.devicesWithoutInstitution = uncovered.sorted()
        self.rows = rows.values.sorted {
            ($0.model, $0.version, $0.region ?? "", $0.institution ?? "") < ($1.model, $1.version, $1.region ?? "", $1.institution ?? "")
        }
        self.leftOut = leftOut
    }

    /// The CSV columns, in order.
    public static let csvHeader = [
        "period_from", "period_to", "model", "version", "registration_number", "registration_date", "area_of_use", "region",
        "institution", "institution_tax_id", "institution_oid", "devices", "studies_processed", "flagged_for_review",
        "retakes_advised", "processing_errors", "doctor_agree", "doctor_disagree", "doctor_missed",
    ]

    /// RFC 4180 CSV (CRLF, fields quoted where they need it), one row per model version and institution.
    public func csv() -> String {
        var lines = [Self.csvHeader.joined(separator: ",")]
        for row in rows {
            let fields: [String] = [
                from, to, row.model, row.version, row.registrationNumber ?? "", row.registrationDate ?? "", row.areaOfUse ?? "",
                row.region ?? "", row.institution ?? "", row.institutionTaxID ?? "", row.institutionOID ?? "", "\(row.devices)",
                "\(row.studiesProcessed)", "\(row.flaggedForReview)", "\(row.retakesAdvised)", "\(row.processingErrors)",
                "\(row.doctorAgree)", "\(row.doctorDisagree)", "\(row.doctorMissed)",
            ]
            lines.append(fields.map(Self.csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    private static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
