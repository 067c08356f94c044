import Foundation
import POSIXSupport

/// A staged rollout of one model assignment (the new package for a region or institutions):
/// the devices the assignment reaches are offered the package stage by stage, by share of
/// devices; the hub opens the next stage once every device of the current one activated the
/// package, and halts by itself when install failures, reference-check failures or the
/// doctor-disagree rate cross the thresholds (``RolloutEvaluation``). An operator resumes,
/// aborts or rolls back (`fluorobox-hub model rollout`, the console's Models page).
public struct ModelRollout: Codable, Sendable, Hashable {
    public enum State: String, Codable, Sendable, CaseIterable {
        /// Offered to the current stage's devices; evaluated by the hub.
        case running
        /// Stopped by a threshold (``ModelRollout/reason`` says why): no wider offer until resumed.
        case halted
        /// Every stage done: offered as if no rollout governed the assignment.
        case completed
        /// Stopped by an operator: offered to no device that has not activated it.
        case aborted
        /// Offered to nobody; the devices that activated it are offered the replaced package as a roll back.
        case rolledBack = "rolled-back"

        /// Running or halted: at most one such rollout per assignment.
        public var isOpen: Bool { self == .running || self == .halted }
    }

    /// When the hub halts the rollout by itself. Shares are percentages of the current stage's
    /// devices; the disagree rate counts only once `minimumReviewed` results were reviewed.
    public struct Thresholds: Codable, Sendable, Hashable {
        public var installFailurePercent: Double
        public var referenceFailurePercent: Double
        public var disagreePercent: Double
        public var minimumReviewed: Int

        public init(installFailurePercent: Double = 10, referenceFailurePercent: Double = 5, disagreePercent: Double = 20, minimumReviewed: Int = 50) {
            self.installFailurePercent = installFailurePercent
            self.referenceFailurePercent = referenceFailurePercent
            self.disagreePercent = disagreePercent
            self.minimumReviewed = minimumReviewed
        }

        func validate() throws(HubError) {
            for (name, value) in [("install-failure", installFailurePercent), ("reference-failure", referenceFailurePercent), ("disagree", disagreePercent)]
            where !(value.isFinite && value >= 0 && value <= 100) {
                throw HubError(.badRequest, "the \(name) threshold is a percentage from 0 to 100, not \(value)")
            }
            guard minimumReviewed >= 0 else { throw HubError(.badRequest, "the minimum of reviewed results is 0 or more") }
        }
    }

    /// The store's; 0 until stored.
    public var id: Int64
    /// The assignment rolled out, with the file and SHA-256 it pinned when the rollout began.
    public var assignmentID: Int64
    public var file: String
    public var sha256: String
    /// The assignment whose package the devices go back to on a roll back (file and SHA-256 as
    /// then pinned); nil: a roll back is refused.
    public var replaces: Replaced?
    /// Shares of devices in percent, strictly increasing, the last 100.
    public var stages: [Int]
    public var thresholds: Thresholds
    public var state: State
    /// The index in `stages` of the stage offered now.
    public var stage: Int
    /// Why it halted, with figures; nil unless halted.
    public var reason: String?
    /// Refusals and doctors' verdicts count from here (the start, or the latest resume).
    public var countingSince: Date
    public var createdBy: String
    public var createdAt: Date
    public var changedBy: String
    public var changedAt: Date
    /// Raised by every change: a change is written only over the revision it was decided on, so
    /// two replicas evaluating at once change it once.
    public var revision: Int64

    public struct Replaced: Codable, Sendable, Hashable {
        public var assignmentID: Int64
        public var file: String
        public var sha256: String
    }

    /// A new rollout of `assignment`, running its first stage; `stages` and `thresholds` are checked.
    public static func start(
        _ assignment: ModelAssignment, replacing replaced: ModelAssignment?, stages: [Int], thresholds: Thresholds, by actor: String, at: Date = Date()
    ) throws(HubError) -> ModelRollout {
        guard let last = stages.last, last == 100, stages.allSatisfy({ (1...100).contains($0) }),
              zip(stages, stages.dropFirst()).allSatisfy({ $0 < $1 })
        else {
            throw HubError(.badRequest, "stages are shares of devices in percent, strictly increasing, from 1 to 100, the last 100 (for example 5,25,100); not \(stages.map(String.init).joined(separator: ","))")
        }
        try thresholds.validate()
        // A shadow is never activated, so there is nothing to stage, advance or roll back.
        for (what, held) in [("the rolled-out", assignment), ("the replaced", replaced)] {
            guard let held, held.role == .shadow else { continue }
            throw HubError(.conflict, "\(what) assignment \(held.id) (\(held.file) to \(held.target.description)) is a shadow assignment: a staged rollout applies only to active assignments; assign the package as active to roll it out")
        }
        if let replaced {
            guard replaced.id != assignment.id else { throw HubError(.badRequest, "a rollout cannot replace its own assignment") }
            guard replaced.file != assignment.file || replaced.sha256 != assignment.sha256 else {
                throw HubError(.badRequest, "the replaced assignment holds the same package (\(replaced.file))")
            }
        }
        return ModelRollout(
            id: 0, assignmentID: assignment.id, file: assignment.file, sha256: assignment.sha256,
            replaces: replaced.map { Replaced(assignmentID: $0.id, file: $0.file, sha256: $0.sha256) }, stages: stages,
            thresholds: thresholds, state: .running, stage: 0, reason: nil, countingSince: at, createdBy: actor, createdAt: at,
            changedBy: actor, changedAt: at, revision: 0)
    }

    /// How many of `population` devices stage `index` holds: the first ceil(share × N) of the cohort order.
    public func stageSize(_ index: Int, of population: Int) -> Int {
        (stages[min(index, stages.count - 1)] * population + 99) / 100
    }

    /// `devices` (those the assignment reaches, not revoked) in this rollout's cohort order: by
    /// the SHA-256 of the rollout id and the device id, so the order is fixed for the rollout,
    /// differs between rollouts, and a device enrolled later falls into its place by the same rule.
    public func cohortOrder(_ devices: some Sequence<String>) -> [String] {
        devices.map { (SHA256Hex.string(of: Array("\(id):\($0)".utf8)), $0) }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.1)
    }

    /// The devices of the current stage, of `population` in cohort order.
    public func currentCohort(ofOrdered ordered: [String]) -> ArraySlice<String> {
        ordered.prefix(stageSize(stage, of: ordered.count))
    }

    /// For people: `stage 2 of 3 (25 %)`.
    public var stageDescription: String { "stage \(stage + 1) of \(stages.count) (\(stages[min(stage, stages.count - 1)]) %)" }

    /// The rollout after `change` by `actor`; a change its state does not allow is a conflict
    /// saying what state it is in.
    public func applying(_ change: Change, by actor: String, at: Date = Date()) throws(HubError) -> ModelRollout {
        var next = self
        next.changedBy = actor
        next.changedAt = at
        next.revision = revision + 1
        switch change {
        case .resume:
            guard state == .halted else { throw HubError(.conflict, "rollout \(id) is \(state.rawValue), not halted: nothing to resume") }
            next.state = .running
            next.reason = nil
            next.countingSince = at
        case .abort:
            guard state.isOpen else { throw HubError(.conflict, "rollout \(id) is \(state.rawValue): only a running or halted rollout is aborted") }
            next.state = .aborted
        case .rollBack:
            guard replaces != nil else {
                throw HubError(.conflict, "rollout \(id) names no package it replaces: there is nothing to go back to (abort it instead)")
            }
            guard state != .rolledBack else { throw HubError(.conflict, "rollout \(id) is already rolled back") }
            next.state = .rolledBack
        case .advance:
            guard state == .running else { throw HubError(.conflict, "rollout \(id) is \(state.rawValue), not running") }
            if stage + 1 < stages.count {
                next.stage = stage + 1
            } else {
                next.state = .completed
            }
        case .halt(let reason):
            guard state == .running else { throw HubError(.conflict, "rollout \(id) is \(state.rawValue), not running") }
            next.state = .halted
            next.reason = reason
        }
        return next
    }

    /// What changes a rollout: the hub's own evaluation (advance, halt) or an operator.
    public enum Change: Sendable, Hashable {
        case resume
        case abort
        case rollBack
        case advance
        case halt(String)

        /// The audit's action.
        public var action: String {
            switch self {
            case .resume: ConsoleAuditEntry.Action.rolloutResumed
            case .abort: ConsoleAuditEntry.Action.rolloutAborted
            case .rollBack: ConsoleAuditEntry.Action.rolloutRolledBack
            case .advance: ConsoleAuditEntry.Action.rolloutAdvanced
            case .halt: ConsoleAuditEntry.Action.rolloutHalted
            }
        }
    }

    /// The audit row of `action` on it (after the change): the package is the subject; the
    /// rollout, its state and stage (and the reason of a halt) the detail.
    func auditEntry(_ action: String) -> ConsoleAuditEntry {
        var detail = "rollout \(id), \(state.rawValue), \(stageDescription), stages \(stages.map(String.init).joined(separator: ",")), SHA-256 \(sha256)"
        if let replaces { detail += ", replaces \(replaces.file)" }
        if let reason { detail += ": \(reason)" }
        return ConsoleAuditEntry(at: changedAt, actor: changedBy, action: action, subject: file, detail: detail)
    }
}
