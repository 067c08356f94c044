import Foundation

/// Where a rollout's current stage stands, from the devices' `model-update` documents and their
/// daily post-market reports, and what the hub decides from it (``decision``).
///
/// Rules (docs/platform.md, Staged rollouts):
/// - a stage is done when every device of its cohort reported: activated, or refused while the
///   refusals stay within the thresholds (a refusal counted before a resume, or one saying the
///   box already runs a version at least as new, is settled and no failure);
/// - the rollout halts when reference-check failures, other install failures, or (after at
///   least `minimumReviewed` reviewed results) the doctor-disagree rate of the cohort exceed
///   their thresholds, counted since the start or the latest resume.
public struct RolloutProgress: Sendable, Hashable, Codable {
    /// Devices the assignment reaches (not revoked), and how many the current stage holds.
    public var population: Int
    public var cohort: Int
    public var activated: Int
    /// Refusals counted against the thresholds: device and reason.
    public var referenceFailures: [Failure]
    public var installFailures: [Failure]
    /// Refusals that count as no failure (before the latest resume, or not newer than the box's).
    public var settled: Int
    /// Devices of the cohort that reported nothing yet.
    public var waiting: Int
    /// The package's results reviewed by the cohort's doctors since counting began, and those they disagreed with.
    public var reviewed: Int
    public var disagreed: Int
    /// `id@version` of the package as activated boxes name it (the post-market reports' model and version).
    public var package: String?

    public struct Failure: Sendable, Hashable, Codable {
        public var device: String
        public var reason: String
    }

    public init(
        rollout: ModelRollout, ordered population: [String], reports: [String: ModelUpdateReport], doctorVerdicts: (agree: Int, disagree: Int)
    ) {
        let cohort = rollout.currentCohort(ofOrdered: population)
        self.population = population.count
        self.cohort = cohort.count
        activated = 0
        referenceFailures = []
        installFailures = []
        settled = 0
        waiting = 0
        package = reports.values.first(where: { $0.outcome == .activated && $0.package != nil })?.package
        for device in cohort {
            guard let report = reports[device] else {
                waiting += 1
                continue
            }
            switch (report.outcome, report.step) {
            case (.activated, _):
                activated += 1
            case (.refused, .notNewer?):
                settled += 1
            case (.refused, _) where report.receivedAt < rollout.countingSince:
                settled += 1
            case (.refused, .referenceCheck?):
                referenceFailures.append(Failure(device: device, reason: report.reason ?? "no reason given"))
            case (.refused, _):
                installFailures.append(Failure(device: device, reason: report.reason ?? "no reason given"))
            }
        }
        (reviewed, disagreed) = (doctorVerdicts.agree + doctorVerdicts.disagree, doctorVerdicts.disagree)
    }

    public enum Decision: Sendable, Hashable {
        /// Nothing to change; the words say what it waits for.
        case wait(String)
        case advance
        case halt(String)

        /// The change it makes; nil while it waits.
        public var change: ModelRollout.Change? {
            switch self {
            case .wait: nil
            case .advance: .advance
            case .halt(let reason): .halt(reason)
            }
        }
    }

    /// What the hub does with a running `rollout` standing so.
    public func decision(for rollout: ModelRollout) -> Decision {
        let limits = rollout.thresholds
        let stage = rollout.stageDescription
        func share(_ count: Int, of total: Int) -> Double { total == 0 ? 0 : Double(count) * 100 / Double(total) }
        func percent(_ value: Double) -> String { value.rounded() == value ? String(Int(value)) : String(format: "%.1f", value) }
        func listed(_ failures: [Failure]) -> String {
            let shown = failures.prefix(5).map { "\($0.device) (\($0.reason.prefix(160)))" }.joined(separator: "; ")
            return failures.count > 5 ? shown + "; and \(failures.count - 5) more" : shown
        }
        let referenceShare = share(referenceFailures.count, of: cohort)
        if !referenceFailures.isEmpty, referenceShare > limits.referenceFailurePercent {
            return .halt("\(referenceFailures.count) of \(cohort) devices of \(stage) failed the package's reference check (\(percent(referenceShare)) %, threshold \(percent(limits.referenceFailurePercent)) %): \(listed(referenceFailures))")
        }
        let installShare = share(installFailures.count, of: cohort)
        if !installFailures.isEmpty, installShare > limits.installFailurePercent {
            return .halt("\(installFailures.count) of \(cohort) devices of \(stage) refused the package (\(percent(installShare)) %, threshold \(percent(limits.installFailurePercent)) %): \(listed(installFailures))")
        }
        let disagreeShare = share(disagreed, of: reviewed)
        if reviewed > 0, reviewed >= limits.minimumReviewed, disagreeShare > limits.disagreePercent {
            return .halt("doctors disagreed with \(disagreed) of \(reviewed) reviewed results of \(package ?? rollout.file) on the devices of \(stage) (\(percent(disagreeShare)) %, threshold \(percent(limits.disagreePercent)) %, counted from \(limits.minimumReviewed) reviewed)")
        }
        guard population > 0 else { return .wait("no device is reached by the assignment") }
        guard waiting == 0 else { return .wait("\(waiting) of \(cohort) devices of \(stage) have not reported yet") }
        return .advance
    }
}
