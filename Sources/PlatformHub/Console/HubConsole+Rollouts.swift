import BrowserAccess
import Foundation
import Hummingbird

extension HubConsole {
    /// Staged rollouts on the Models page: every rollout with its stage, the current stage's
    /// progress and a halt's reason (everyone); starting one and the Resume, Abort and Roll back
    /// buttons (operators and admins). The store audits each change in its transaction.
    func addRolloutRoutes(to router: Router<ConsoleRequestContext>) {
        router.post("/models/rollouts/start") { _, context in
            guard let account = context.account, account.role.changesDevices else { return forbidden(context, path: "/models") }
            let form = context.form
            do {
                let assignments = try await store.modelAssignments()
                guard let assignment = form["assignment"].flatMap(Int64.init).flatMap({ id in assignments.first { $0.id == id } }) else {
                    throw HubError(.badRequest, "choose an assignment to roll out")
                }
                var replaced: ModelAssignment?
                if let text = form["replaces"], !text.isEmpty {
                    guard let found = Int64(text).flatMap({ id in assignments.first { $0.id == id } }) else {
                        throw HubError(.badRequest, "the replaced assignment \(text.prefix(20)) does not exist")
                    }
                    replaced = found
                }
                let stages = (form["stages"] ?? "").split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard stages.allSatisfy({ $0 != nil }) else { throw HubError(.badRequest, "stages are percentages separated by commas, such as 5,25,100") }
                func percent(_ name: String, _ fallback: Double) throws(HubError) -> Double {
                    guard let text = form[name], !text.isEmpty else { return fallback }
                    guard let value = Double(text.replacingOccurrences(of: ",", with: ".")) else { throw HubError(.badRequest, "\(name) is a number") }
                    return value
                }
                let defaults = ModelRollout.Thresholds()
                let minimum = try Int(percent("minimum-reviewed", Double(defaults.minimumReviewed)))
                let thresholds = ModelRollout.Thresholds(
                    installFailurePercent: try percent("install-failure", defaults.installFailurePercent),
                    referenceFailurePercent: try percent("reference-failure", defaults.referenceFailurePercent),
                    disagreePercent: try percent("disagree", defaults.disagreePercent), minimumReviewed: minimum)
                _ = try await store.startRollout(try ModelRollout.start(
                    assignment, replacing: replaced, stages: stages.compactMap { $0 }, thresholds: thresholds, by: account.name, at: now()))
            } catch {
                return failure(error, context, path: "/models")
            }
            return redirect("/models")
        }
        router.post("/models/rollouts/:id/:change") { _, context in
            guard let account = context.account, account.role.changesDevices else { return forbidden(context, path: "/models") }
            guard let id = context.parameters.get("id").flatMap({ Int64($0) }), id > 0 else {
                return message("Models", context, path: "/models", status: .badRequest, "bad rollout id")
            }
            let change: ModelRollout.Change
            switch context.parameters.get("change") {
            case "resume": change = .resume
            case "abort": change = .abort
            case "rollback": change = .rollBack
            default: return message("Models", context, path: "/models", status: .notFound, "no such change")
            }
            do {
                _ = try await RolloutSupervisor.change(id, change, by: account.name, store: store)
            } catch {
                return failure(error, context, path: "/models")
            }
            return redirect("/models")
        }
    }

    /// The rollouts section of the Models page.
    func rolloutsBody(_ context: ConsoleRequestContext, assignments: [ModelAssignment]) async throws -> String {
        let t = context.language
        let e = HTMLText.escape
        let changes = context.account?.role.changesDevices == true
        let rollouts = try await store.modelRollouts()
        let dates = ConsolePage.dateFormatter()
        var html = """
            <section id="rollouts"><h2>\(e(t("Staged rollouts")))</h2>
            <p class="na">\(e(t("A rolled-out package is offered stage by stage to a share of the devices its assignment reaches. The hub opens the next stage once every device of the current one reported, and halts by itself when refusals or doctors' disagreement cross the thresholds.")))</p>
            """
        if rollouts.isEmpty {
            html += "<p class=\"na\" id=\"no-rollouts\">\(e(t("No rollouts.")))</p>"
        } else {
            html += """
                <table id="rollout-table"><thead><tr><th>\(e(t("Rollout")))</th><th>\(e(t("Package")))</th><th>\(e(t("State")))</th><th>\(e(t("Stage")))</th>\
                <th>\(e(t("Current stage")))</th><th>\(e(t("Changed by")))</th>\(changes ? "<th></th>" : "")</tr></thead><tbody>
                """
            for rollout in rollouts.reversed() {
                let stageCells: String = rollout.stages.enumerated().map { index, share -> String in
                    let done = index < rollout.stage || rollout.state == .completed
                    let mark = done ? "✓ " : index == rollout.stage ? "▶ " : ""
                    return "\(mark)\(share) %"
                }.joined(separator: " · ")
                var current = ""
                if rollout.state.isOpen {
                    let p = try await RolloutSupervisor.progress(of: rollout, store: store)
                    current = """
                        <span id="rollout-\(rollout.id)-progress">\(p.activated)/\(p.cohort) \(e(t("activated"))), \
                        \(p.referenceFailures.count) \(e(t("reference-check failures"))), \(p.installFailures.count) \(e(t("other refusals"))), \
                        \(p.waiting) \(e(t("waiting"))); \(e(t("doctors disagreed"))) \(p.disagreed)/\(p.reviewed)</span>
                        """
                }
                if let reason = rollout.reason {
                    current += "<br><span class=\"reason\">\(e(t("halted")))</span> <span id=\"rollout-\(rollout.id)-reason\">\(e(reason))</span>"
                }
                var buttons = ""
                if changes {
                    func button(_ change: String, _ label: String, danger: Bool = false) -> String {
                        """
                        <form method="post" action="/models/rollouts/\(rollout.id)/\(change)" class="inline">\(ConsolePage.csrfField(context))\
                        <button type="submit"\(danger ? " class=\"danger\"" : "") id="rollout-\(rollout.id)-\(change)">\(e(t(label)))</button></form>
                        """
                    }
                    if rollout.state == .halted { buttons += button("resume", "Resume") }
                    if rollout.state.isOpen { buttons += button("abort", "Abort", danger: true) }
                    if rollout.replaces != nil, rollout.state != .rolledBack { buttons += button("rollback", "Roll back", danger: true) }
                }
                html += """
                    <tr id="rollout-\(rollout.id)"><td>\(rollout.id)</td><td><code>\(e(rollout.file))</code>\
                    \(rollout.replaces.map { "<br><small>\(e(t("replaces"))) <code>\(e($0.file))</code></small>" } ?? "")</td>\
                    <td id="rollout-\(rollout.id)-state" data-state="\(rollout.state.rawValue)">\(e(t(stateName(rollout.state))))</td>\
                    <td id="rollout-\(rollout.id)-stage">\(e(stageCells))</td><td>\(current)</td>\
                    <td>\(e(rollout.changedBy)) <small>\(dates.string(from: rollout.changedAt))</small></td>\(changes ? "<td>\(buttons)</td>" : "")</tr>
                    """
            }
            html += "</tbody></table>"
        }
        html += "</section>"
        // A shadow assignment is never rolled out (nor rolled back to).
        let active = assignments.filter { $0.role == .active }
        guard changes, !active.isEmpty else { return html }
        let options = active.map { "<option value=\"\($0.id)\">\(e($0.file)) → \(e(targetText($0.target, t)))</option>" }.joined()
        let defaults = ModelRollout.Thresholds()
        return html + """
            <section><h2>\(e(t("Start a rollout")))</h2>
            <form method="post" action="/models/rollouts/start">\(ConsolePage.csrfField(context))
            <label for="rollout-assignment">\(e(t("Assignment to roll out")))</label><select id="rollout-assignment" name="assignment">\(options)</select>
            <label for="rollout-replaces">\(e(t("Replaces (devices go back to it on a roll back)")))</label>\
            <select id="rollout-replaces" name="replaces"><option value="">—</option>\(options)</select>
            <label for="rollout-stages">\(e(t("Stages, % of devices")))</label><input id="rollout-stages" name="stages" value="5,25,100">
            <label for="rollout-install-failure">\(e(t("Halt above this share of other refusals, %")))</label>\
            <input id="rollout-install-failure" name="install-failure" value="\(Int(defaults.installFailurePercent))" size="6">
            <label for="rollout-reference-failure">\(e(t("Halt above this share of reference-check failures, %")))</label>\
            <input id="rollout-reference-failure" name="reference-failure" value="\(Int(defaults.referenceFailurePercent))" size="6">
            <label for="rollout-disagree">\(e(t("Halt above this doctor-disagree rate, %")))</label>\
            <input id="rollout-disagree" name="disagree" value="\(Int(defaults.disagreePercent))" size="6">
            <label for="rollout-minimum-reviewed">\(e(t("once this many results were reviewed")))</label>\
            <input id="rollout-minimum-reviewed" name="minimum-reviewed" value="\(defaults.minimumReviewed)" size="6">
            <p><button type="submit" id="start-rollout">\(e(t("Start rollout")))</button></p>
            </form></section>
            """
    }

    func stateName(_ state: ModelRollout.State) -> String {
        switch state {
        case .running: "running"
        case .halted: "halted"
        case .completed: "completed"
        case .aborted: "aborted"
        case .rolledBack: "rolled back"
        }
    }
}
