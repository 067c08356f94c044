import Foundation

/// The Shadow runs page's figures for a period (and its JSON): per pair of packages (a shadow
/// beside the active one), per site (an institution with its region; devices whose institution
/// is not recorded together), per finding, the boxes' daily agreement counts added up, and what
/// a region calibrating the shadow on its own images reads from them.
///
/// - agreement: (both flagged + neither) ÷ images compared;
/// - positive agreement: 2 × both ÷ (2 × both + only active + only shadow), how far the two
///   agree on what to flag (agreement alone is high whenever findings are rare);
/// - only shadow, only active: each ÷ images compared; more "only shadow" than "only active"
///   means the shadow flags more at its threshold.
///
/// A figure behind fewer than ``minimumImages`` images is not yet meaningful: marked, and left
/// out of the chart. Latency is the shadow's: p50 the devices' daily medians weighted by the
/// images each read, p95 the highest day's (the boxes send no single latencies).
struct ConsoleShadowRuns: Sendable, Encodable {
    static let minimumImages = 50

    struct Finding: Sendable, Encodable {
        var id: String
        var bothFlagged: Int
        var onlyActive: Int
        var onlyShadow: Int
        var neither: Int
        /// Images compared: the four counts' sum, the images behind every percentage.
        var images: Int
        /// Percentages (0–100); absent when nothing was compared (positive agreement: nothing flagged).
        var agreementPercent: Double?
        var positiveAgreementPercent: Double?
        var onlyShadowPercent: Double?
        var onlyActivePercent: Double?
        var meaningful: Bool

        init(id: String, _ counts: ShadowAgreementTotal.Counts) {
            self.id = id
            bothFlagged = counts.bothFlagged
            onlyActive = counts.onlyActive
            onlyShadow = counts.onlyShadow
            neither = counts.neither
            images = counts.images
            func percent(_ part: Double, of whole: Double) -> Double? { whole > 0 ? 100 * part / whole : nil }
            let both = Double(bothFlagged), active = Double(onlyActive), shadow = Double(onlyShadow), compared = Double(images)
            agreementPercent = percent(both + Double(neither), of: compared)
            positiveAgreementPercent = percent(2 * both, of: 2 * both + active + shadow)
            onlyShadowPercent = percent(shadow, of: compared)
            onlyActivePercent = percent(active, of: compared)
            meaningful = images >= ConsoleShadowRuns.minimumImages
        }
    }

    /// A site's figures for one pair (or all sites').
    struct Site: Sendable, Encodable {
        /// nil: not recorded (the devices with no institution), or all sites.
        var region: String?
        var institution: String?
        /// Devices that sent a document in the period.
        var devices: Int
        /// Documents counted (device-days).
        var reports: Int
        /// Images the shadow read, and its failed runs.
        var images: Int
        var errors: Int
        var latencyP50ms: Double?
        var latencyP95ms: Double?
        /// By id.
        var findings: [Finding]
    }

    struct Pair: Sendable, Encodable {
        var task: String
        var shadowModel: String
        var shadowVersion: String
        var activeModel: String
        var activeVersion: String
        var sites: [Site]
        var allSites: Site
    }

    /// What the devices of a site (or all) sent for one pair, added up.
    struct Sum: Sendable {
        var devices: Set<String> = []
        var reports = 0
        var images = 0
        var errors = 0
        var latencyWeighted = 0.0
        var latencyWeight = 0.0
        var latencyP95ms: Double?
        var findings: [String: ShadowAgreementTotal.Counts] = [:]

        mutating func add(_ total: ShadowAgreementTotal) {
            devices.insert(total.device)
            PostMarketDay.add(&reports, total.reports)
            PostMarketDay.add(&images, total.images)
            PostMarketDay.add(&errors, total.errors)
            if total.latencyWeight > 0, total.latencyWeighted.isFinite, total.latencyWeight.isFinite {
                latencyWeighted += total.latencyWeighted
                latencyWeight += total.latencyWeight
            }
            if let p95 = total.latencyP95ms, p95.isFinite { latencyP95ms = max(latencyP95ms ?? 0, p95) }
            for (id, counts) in total.findings { findings[id, default: .init()].add(counts) }
        }

        func site(_ place: ConsoleFigures.Place?) -> Site {
            Site(
                region: place?.region, institution: place?.institution, devices: devices.count, reports: reports, images: images,
                errors: errors, latencyP50ms: latencyWeight > 0 ? latencyWeighted / latencyWeight : nil, latencyP95ms: latencyP95ms,
                findings: findings.sorted { $0.key < $1.key }.map { Finding(id: $0.key, $0.value) }
            )
        }
    }

    let from: String
    let to: String
    /// The region asked for; nil: every region, and the devices of none.
    let region: String?
    let minimumImages = ConsoleShadowRuns.minimumImages
    /// By task, shadow and active package.
    var pairs: [Pair] = []

    init(from: String, to: String, region: String?, totals: [ShadowAgreementTotal], institutions: [String: DeviceInstitution]) {
        self.from = from
        self.to = to
        self.region = region
        let filter = ConsoleFigures.Filter(region: region, institution: nil)
        var bySite: [ShadowAgreementTotal.Pair: [ConsoleFigures.Place: Sum]] = [:]
        var all: [ShadowAgreementTotal.Pair: Sum] = [:]
        for total in totals {
            let institution = institutions[total.device]
            guard filter.admits(institution) else { continue }
            let place = ConsoleFigures.Place(region: institution?.region, institution: institution?.name)
            bySite[total.pair, default: [:]][place, default: Sum()].add(total)
            all[total.pair, default: Sum()].add(total)
        }
        pairs = bySite.keys.sorted().map { pair in
            Pair(
                task: pair.task, shadowModel: pair.shadowModel, shadowVersion: pair.shadowVersion, activeModel: pair.activeModel,
                activeVersion: pair.activeVersion, sites: bySite[pair]!.sorted { $0.key < $1.key }.map { $0.value.site($0.key) },
                allSites: all[pair]!.site(nil)
            )
        }
    }
}
