/// What one device's `shadow-agreement` documents of a period add up to for one pair of
/// packages (the store's answer; the console adds these up per site). A document counts once
/// per device, pair and day, whatever key it came under: the one received last.
public struct ShadowAgreementTotal: Sendable, Hashable {
    /// A shadow package and the active package it ran beside, on one task.
    public struct Pair: Sendable, Hashable, Comparable {
        public var task: String
        public var shadowModel: String
        public var shadowVersion: String
        public var activeModel: String
        public var activeVersion: String

        public init(task: String, shadowModel: String, shadowVersion: String, activeModel: String, activeVersion: String) {
            self.task = task
            self.shadowModel = shadowModel
            self.shadowVersion = shadowVersion
            self.activeModel = activeModel
            self.activeVersion = activeVersion
        }

        public static func < (a: Pair, b: Pair) -> Bool {
            (a.task, a.shadowModel, a.shadowVersion, a.activeModel, a.activeVersion)
                < (b.task, b.shadowModel, b.shadowVersion, b.activeModel, b.activeVersion)
        }
    }

    /// One finding's four counts over the images both packages read.
    public struct Counts: Sendable, Hashable {
        public var bothFlagged = 0
        public var onlyActive = 0
        public var onlyShadow = 0
        public var neither = 0

        public init(bothFlagged: Int = 0, onlyActive: Int = 0, onlyShadow: Int = 0, neither: Int = 0) {
            self.bothFlagged = bothFlagged
            self.onlyActive = onlyActive
            self.onlyShadow = onlyShadow
            self.neither = neither
        }

        /// The images behind the figures.
        public var images: Int {
            var total = 0
            for count in [bothFlagged, onlyActive, onlyShadow, neither] { PostMarketDay.add(&total, count) }
            return total
        }

        mutating func add(_ other: Counts) {
            PostMarketDay.add(&bothFlagged, other.bothFlagged)
            PostMarketDay.add(&onlyActive, other.onlyActive)
            PostMarketDay.add(&onlyShadow, other.onlyShadow)
            PostMarketDay.add(&neither, other.neither)
        }
    }

    /// What the hub holds of the documents a period's totals read: how many, and the last one's
    /// row. Documents are only ever added, so the same twice means nothing arrived in between.
    public struct Received: Sendable, Hashable {
        public var count: Int
        public var last: Int64

        public init(count: Int, last: Int64) {
            self.count = count
            self.last = last
        }
    }

    public var device: String
    public var pair: Pair
    /// Documents counted (one per day the device ran the pair).
    public var reports: Int
    /// Images the shadow read beside the active package, and its failed runs.
    public var images: Int
    public var errors: Int
    /// Σ p50 × images and Σ images over the days with images: the p50 weighted by the images
    /// behind it (the boxes send no single latencies to take a true median of).
    public var latencyWeighted: Double
    public var latencyWeight: Double
    /// The highest p95 of a day with images.
    public var latencyP95ms: Double?
    /// By finding id.
    public var findings: [String: Counts]

    public init(
        device: String, pair: Pair, reports: Int, images: Int, errors: Int, latencyWeighted: Double, latencyWeight: Double,
        latencyP95ms: Double?, findings: [String: Counts]
    ) {
        self.device = device
        self.pair = pair
        self.reports = reports
        self.images = images
        self.errors = errors
        self.latencyWeighted = latencyWeighted
        self.latencyWeight = latencyWeight
        self.latencyP95ms = latencyP95ms
        self.findings = findings
    }

    /// One row of a store's statement: a device's pair with its document sums, and one
    /// finding's counts (nil: the documents named no finding).
    struct Part {
        var total: ShadowAgreementTotal
        var finding: (id: String, counts: Counts)?
    }

    /// The store's rows (one per device, pair and finding) gathered per device and pair, in
    /// the order they came.
    static func gather(_ parts: [Part]) -> [ShadowAgreementTotal] {
        var totals: [ShadowAgreementTotal] = []
        var index: [ShadowAgreementTotal.Key: Int] = [:]
        for part in parts {
            let key = Key(device: part.total.device, pair: part.total.pair)
            let at: Int
            if let known = index[key] {
                at = known
            } else {
                at = totals.count
                index[key] = at
                totals.append(part.total)
            }
            if let finding = part.finding { totals[at].findings[finding.id, default: Counts()].add(finding.counts) }
        }
        return totals
    }

    struct Key: Hashable {
        var device: String
        var pair: Pair
    }

    /// Sums arrive as SQL numbers (float where SQLite's total() kept them from overflowing); a
    /// count past Int's range is a lying box's, held at the largest.
    static func count(_ value: Double?) -> Int {
        guard let value, value.isFinite, value > 0 else { return 0 }
        return value >= 9.2e18 ? .max : Int(value)
    }
}
