import Foundation
import Logging
import ServiceLifecycle

/// Evaluates running rollouts (``RolloutProgress/decision(for:)``) and writes what follows:
/// the next stage, completion, or a halt with its reason. The hub does it, not a person: when a
/// `model-update` document arrives (``HubAPI``) and every `interval` (this service, in each
/// replica's service group, for the doctors' verdicts that arrive in daily reports and for
/// devices enrolled later). Replicas evaluating at once write one change: a change is written
/// only over the revision it was decided on (``HubStoring/updateRollout(_:action:)``).
public struct RolloutSupervisor: Service {
    /// Who the audit names for the hub's own changes.
    public static let actor = "hub"

    public let store: any HubStoring
    public let interval: Duration
    let logger: Logger

    public init(store: any HubStoring, interval: Duration = .seconds(60), logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled else { break }
                await evaluateLogging()
            }
        }
    }

    /// ``evaluate()``, its failure logged (the next document or interval tries again).
    public func evaluateLogging() async {
        do {
            _ = try await evaluate()
        } catch {
            logger.warning("rollouts not evaluated", metadata: ["error": "\(error)"])
        }
    }

    /// Evaluates every running rollout once; returns the changes written.
    @discardableResult
    public func evaluate() async throws(HubError) -> [ModelRollout] {
        var written: [ModelRollout] = []
        for var rollout in try await store.modelRollouts() where rollout.state == .running {
            // A stage whose devices all reported already (activated before it opened) opens the next at once.
            for _ in rollout.stages {
                let progress = try await Self.progress(of: rollout, store: store)
                guard let change = progress.decision(for: rollout).change else { break }
                let next = try rollout.applying(change, by: Self.actor)
                guard try await store.updateRollout(next, action: change.action) else { break }
                logger.notice("rollout changed", metadata: [
                    "rollout": "\(next.id)", "file": "\(next.file)", "state": "\(next.state.rawValue)", "stage": "\(next.stageDescription)",
                    "reason": "\(next.reason ?? "-")",
                ])
                written.append(next)
                rollout = next
                guard next.state == .running else { break }
            }
        }
        return written
    }

    /// An operator's `change` of rollout `id` (resume, abort, roll back), audited as `actor`.
    /// Not found, or a conflict saying why the change does not apply.
    public static func change(_ id: Int64, _ change: ModelRollout.Change, by actor: String, store: any HubStoring) async throws(HubError) -> ModelRollout {
        guard let rollout = try await store.modelRollouts().first(where: { $0.id == id }) else { throw HubError(.notFound, "no rollout \(id)") }
        let next = try rollout.applying(change, by: actor)
        guard try await store.updateRollout(next, action: change.action) else {
            throw HubError(.conflict, "rollout \(id) changed meanwhile (the hub advanced or halted it, or another operator acted): look again")
        }
        guard change == .resume else { return next }
        // A resumed stage whose devices all reported opens the next one now, not at the hub's next look.
        var logger = Logger(label: "fluorobox-hub.rollouts")
        logger.logLevel = .warning
        return try await RolloutSupervisor(store: store, logger: logger).evaluate().last(where: { $0.id == id }) ?? next
    }

    /// The devices `rollout`'s assignment reaches now (its region's or institutions' devices, not
    /// revoked), in the rollout's cohort order; none when the assignment is gone.
    public static func population(of rollout: ModelRollout, store: any HubStoring) async throws(HubError) -> [String] {
        guard let assignment = try await store.modelAssignments().first(where: { $0.id == rollout.assignmentID }) else { return [] }
        return try await population(of: rollout, assignment: assignment, store: store)
    }

    /// The same for a caller that holds the rollout's assignment already (a device's catalog
    /// poll), without reading every assignment again.
    static func population(of rollout: ModelRollout, assignment: ModelAssignment, store: any HubStoring) async throws(HubError) -> [String] {
        let revoked = try await store.revokedDevices()
        let reached = try await store.institutions().filter { !revoked.contains($0.key) && assignment.target.reaches($0.value) }.keys
        return rollout.cohortOrder(reached)
    }

    /// Where `rollout`'s current stage stands.
    public static func progress(of rollout: ModelRollout, store: any HubStoring) async throws(HubError) -> RolloutProgress {
        let ordered = try await population(of: rollout, store: store)
        let reports = ModelUpdateReport.latest(try await store.modelUpdateReports(sha256: rollout.sha256, device: nil))
        var progress = RolloutProgress(rollout: rollout, ordered: ordered, reports: reports, doctorVerdicts: (0, 0))
        // Doctors' verdicts on the package's version by the cohort's devices, from the day counting began.
        if let package = progress.package, let at = package.lastIndex(of: "@") {
            let verdicts = try await store.doctorVerdicts(
                model: String(package[..<at]), version: String(package[package.index(after: at)...]),
                devices: Array(rollout.currentCohort(ofOrdered: ordered)), fromDay: Self.day(rollout.countingSince)
            )
            progress = RolloutProgress(rollout: rollout, ordered: ordered, reports: reports, doctorVerdicts: verdicts)
        }
        return progress
    }

    /// YYYY-MM-DD in UTC, as daily reports name their day.
    static func day(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }
}
