import ArgumentParser
import Foundation
import PlatformHub

/// `fluorobox-hub model rollout …`: staged rollouts of a model assignment. The hub advances and
/// halts them by itself; an operator starts, resumes, aborts and rolls back. Every change is
/// audited (as `cli:$USER` unless --by says otherwise).
struct RolloutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollout",
        abstract: "Roll an assigned package out in stages by share of devices; list, show, resume, abort and roll back rollouts.",
        subcommands: [Start.self, ListRollouts.self, Show.self, Resume.self, Abort.self, RollBack.self]
    )

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a staged rollout of a package already assigned (`model assign`) to the region or institutions named: only the first stage's devices are offered it."
        )

        @Argument(help: "The assigned package's file name.") var file: String
        @OptionGroup var to: ModelCommand.TargetOptions
        @Option(help: "Shares of devices in percent, strictly increasing, the last 100.") var stages = "5,25,100"
        @Option(help: "The package assigned to the same target that devices go back to on a roll back.") var replaces: String?
        @Option(help: "Halt when more than this share (%) of the stage's devices refuse the package for any reason but its reference check.") var installFailurePercent = 10.0
        @Option(help: "Halt when more than this share (%) of the stage's devices fail its reference check.") var referenceFailurePercent = 5.0
        @Option(help: "Halt when doctors disagree with more than this share (%) of the stage's reviewed results…") var disagreePercent = 20.0
        @Option(help: "…once at least this many results were reviewed.") var minimumReviewed = 50
        @Option(help: "Who starts it, for the audit (cli:$USER unless given).") var by: String = OperatorCommand.actor
        @Flag(help: "Print the rollout as JSON.") var json = false
        @OptionGroup var store: OperatorCommand.StoreChoice

        func run() async throws {
            let target = try to.target()
            let stageList = stages.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard stageList.allSatisfy({ $0 != nil }) else { throw ValidationError("--stages is a list of percentages separated by commas, such as 5,25,100") }
            let thresholds = ModelRollout.Thresholds(
                installFailurePercent: installFailurePercent, referenceFailurePercent: referenceFailurePercent, disagreePercent: disagreePercent,
                minimumReviewed: minimumReviewed)
            let (file, replaces, by) = (file, replaces, by)
            let started = try await store.options.withStore { store -> ModelRollout in
                let assignments = try await store.modelAssignments().filter { $0.target == target }
                guard let assignment = assignments.first(where: { $0.file == file }) else {
                    throw ValidationError("\(file) is not assigned to \(target.description): assign it first (fluorobox-hub model assign)")
                }
                var replaced: ModelAssignment?
                if let replaces {
                    guard let found = assignments.first(where: { $0.file == replaces }) else {
                        throw ValidationError("\(replaces) is not assigned to \(target.description): the replaced package must be")
                    }
                    replaced = found
                }
                let rollout: ModelRollout
                do {
                    rollout = try ModelRollout.start(assignment, replacing: replaced, stages: stageList.compactMap { $0 }, thresholds: thresholds, by: by)
                } catch let error as HubError {
                    throw ValidationError(error.detail)
                }
                return try await store.startRollout(rollout)
            }
            try RolloutCommand.print(started, json: json)
        }
    }

    struct ListRollouts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Every rollout: id, package, state, stage, and a halt's reason.")

        @Flag(help: "One JSON array of the rollouts.") var json = false
        @OptionGroup var store: OperatorCommand.StoreChoice

        func run() async throws {
            let rollouts = try await store.options.withStore { store in try await store.modelRollouts() }
            if json {
                Swift.print(String(decoding: try JSONEncoder.compact(escapingSlashes: false).encode(rollouts), as: UTF8.self))
                return
            }
            for rollout in rollouts { Swift.print(RolloutCommand.line(rollout)) }
            Swift.print("\(rollouts.count) rollouts")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One rollout and where its current stage stands: devices reached, in the stage, activated, refused, waiting; doctors' verdicts.")

        @Argument(help: "The rollout's id.") var id: Int64
        @Flag(help: "One JSON object: rollout and progress.") var json = false
        @OptionGroup var store: OperatorCommand.StoreChoice

        struct Shown: Encodable {
            var rollout: ModelRollout
            var progress: RolloutProgress
        }

        func run() async throws {
            let id = id
            let shown = try await store.options.withStore { store -> Shown in
                guard let rollout = try await store.modelRollouts().first(where: { $0.id == id }) else { throw ValidationError("no rollout \(id)") }
                return Shown(rollout: rollout, progress: try await RolloutSupervisor.progress(of: rollout, store: store))
            }
            if json {
                Swift.print(String(decoding: try JSONEncoder.compact(escapingSlashes: false).encode(shown), as: UTF8.self))
                return
            }
            let p = shown.progress
            Swift.print(RolloutCommand.line(shown.rollout))
            Swift.print("devices reached \(p.population), in the stage \(p.cohort): activated \(p.activated), reference-check failures \(p.referenceFailures.count), other refusals \(p.installFailures.count), settled \(p.settled), waiting \(p.waiting)")
            Swift.print("doctors: \(p.disagreed) of \(p.reviewed) reviewed results disagreed with")
            for failure in p.referenceFailures + p.installFailures { Swift.print("  \(failure.device): \(failure.reason)") }
        }
    }

    /// What resume, abort and roll back share: one rollout by id, changed and audited.
    struct ChangeOptions: ParsableArguments {
        @Argument(help: "The rollout's id.") var id: Int64
        @Option(help: "Who changes it, for the audit (cli:$USER unless given).") var by: String = OperatorCommand.actor
        @Flag(help: "Print the rollout as JSON.") var json = false
        @OptionGroup var store: OperatorCommand.StoreChoice

        func apply(_ change: ModelRollout.Change) async throws {
            let (id, by) = (id, by)
            let changed = try await store.options.withStore { store in try await RolloutSupervisor.change(id, change, by: by, store: store) }
            try RolloutCommand.print(changed, json: json)
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a halted rollout: refusals and verdicts before now no longer count.")
        @OptionGroup var options: ChangeOptions
        func run() async throws { try await options.apply(.resume) }
    }

    struct Abort: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Abort a running or halted rollout: no device that has not activated the package is offered it.")
        @OptionGroup var options: ChangeOptions
        func run() async throws { try await options.apply(.abort) }
    }

    struct RollBack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rollback",
            abstract: "Roll a rollout back: the package is offered to nobody, and the devices that activated it are offered the replaced package, marked as a roll back.")
        @OptionGroup var options: ChangeOptions
        func run() async throws { try await options.apply(.rollBack) }
    }

    static func line(_ rollout: ModelRollout) -> String {
        [
            "rollout \(rollout.id)", rollout.file, rollout.state.rawValue, rollout.stageDescription,
            "stages \(rollout.stages.map(String.init).joined(separator: ","))", rollout.replaces.map { "replaces \($0.file)" } ?? "replaces nothing",
            "by \(rollout.changedBy) \(ISO8601DateFormatter().string(from: rollout.changedAt))",
        ].joined(separator: "\t") + (rollout.reason.map { "\n  halted: \($0)" } ?? "")
    }

    static func print(_ rollout: ModelRollout, json: Bool) throws {
        if json {
            Swift.print(String(decoding: try JSONEncoder.compact(escapingSlashes: false).encode(rollout), as: UTF8.self))
        } else {
            Swift.print(line(rollout))
        }
    }
}
