import Foundation

/// How a shadow package agreed with the task's active package on the images both read, per
/// finding: the `shadow-agreement` document the box sends the platform once per UTC day and
/// pair of packages (a report, never a result), and what `fluorobox status` shows so far.
public struct ShadowAgreement: Codable, Sendable, Hashable {
    /// One finding's counts over the images both models read.
    public struct Finding: Codable, Sendable, Hashable {
        public var id: String
        public var bothFlagged: Int
        public var onlyActive: Int
        public var onlyShadow: Int
        public var neither: Int

        public init(id: String, bothFlagged: Int = 0, onlyActive: Int = 0, onlyShadow: Int = 0, neither: Int = 0) {
            self.id = id
            self.bothFlagged = bothFlagged
            self.onlyActive = onlyActive
            self.onlyShadow = onlyShadow
            self.neither = neither
        }

        /// Images on which the two models said the same (both flagged or neither), of all compared.
        public var agreement: Double {
            let total = bothFlagged + onlyActive + onlyShadow + neither
            return total == 0 ? 0 : Double(bothFlagged + neither) / Double(total)
        }
    }

    public var device: String
    public var task: String
    public var shadowModel: String
    public var shadowVersion: String
    public var activeModel: String
    public var activeVersion: String
    /// YYYY-MM-DD (UTC): the day counted (so far: the first day counted).
    public var day: String
    /// Images the shadow read beside the active model.
    public var images: Int
    /// Shadow runs that failed (its package did not load, the worker failed).
    public var errors: Int
    public var findings: [Finding]
    public var latencyP50ms: Double
    public var latencyP95ms: Double

    public init(
        device: String, task: String, shadowModel: String, shadowVersion: String, activeModel: String, activeVersion: String, day: String,
        images: Int, errors: Int, findings: [Finding], latencyP50ms: Double, latencyP95ms: Double
    ) {
        self.device = device
        self.task = task
        self.shadowModel = shadowModel
        self.shadowVersion = shadowVersion
        self.activeModel = activeModel
        self.activeVersion = activeVersion
        self.day = day
        self.images = images
        self.errors = errors
        self.findings = findings
        self.latencyP50ms = latencyP50ms
        self.latencyP95ms = latencyP95ms
    }

    /// The outbox key: one document per device, pair of packages and day, always the same.
    public var idempotencyKey: String {
        "shadow-agreement:\(device):\(shadowModel):\(shadowVersion):\(activeModel):\(activeVersion):\(day)"
    }
}
