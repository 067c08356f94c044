import BrowserAccess
import Foundation
import Hummingbird
import POSIXSupport

extension HubConsole {
    /// The Models page: the catalog folder's packages with their assignments and roles
    /// (everyone), and for operators and admins assigning a package to a region or to
    /// institutions (as active or as shadow) and taking an assignment back; the store audits both
    /// in the transaction that makes the change.
    func addModelRoutes(to router: Router<ConsoleRequestContext>) {
        router.get("/models") { _, context in
            do {
                return page("Models", context, path: "/models", body: try await modelsBody(context))
            } catch {
                return failure(error, context, path: "/models")
            }
        }
        router.post("/models/assign") { _, context in
            guard let account = context.account, account.role.changesDevices else { return forbidden(context, path: "/models") }
            guard let folder = settings.catalogDirectory else {
                return message("Models", context, path: "/models", status: .badRequest, context.language("This hub serves no model catalog (serve --catalog-dir)."))
            }
            let file = context.form["package"] ?? ""
            let region = (context.form["region"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            // Separated by commas, semicolons or white space, as people paste lists.
            let institutions = (context.form["institutions"] ?? "")
                .split(whereSeparator: { $0 == "," || $0 == ";" || $0.isWhitespace }).map(String.init)
            let role: ModelAssignment.Role = context.form["role"] == ModelAssignment.Role.shadow.rawValue ? .shadow : .active
            let at = now()
            do {
                let target = try ModelAssignment.Target.validated(region: region.isEmpty ? nil : region, institutions: institutions)
                // The SHA-256 of a package of tens of megabytes: off the event loop.
                let assignment = try await BlockingIO.run {
                    var assignment = try ModelAssignment.of(file: file, in: folder, target: target, role: role, assignedBy: account.name)
                    assignment.assignedAt = at
                    return assignment
                }
                _ = try await store.assignModel(assignment)
            } catch {
                return failure(error, context, path: "/models")
            }
            return redirect("/models")
        }
        router.post("/models/assignments/:id/remove") { _, context in
            guard let account = context.account, account.role.changesDevices else { return forbidden(context, path: "/models") }
            guard let id = context.parameters.get("id").flatMap({ Int64($0) }), id > 0 else {
                return message("Models", context, path: "/models", status: .badRequest, "bad assignment id")
            }
            do {
                _ = try await store.unassignModel(id: id, by: account.name, at: now())
            } catch {
                return failure(error, context, path: "/models")
            }
            return redirect("/models")
        }
    }

    /// Every package of the catalog folder and every assignment (also of a file no longer
    /// there): its target, the devices it reaches, and whether the file is still as assigned.
    func modelsBody(_ context: ConsoleRequestContext) async throws -> String {
        let t = context.language
        let e = HTMLText.escape
        let changes = context.account?.role.changesDevices == true
        async let assigned = store.modelAssignments()
        async let places = store.institutions()
        let (assignments, institutions) = try await (assigned, places)
        var packages: [String: ModelCatalog.Package] = [:]
        var html = ""
        if let folder = settings.catalogDirectory {
            do {
                for package in try await ModelCatalog.packages(in: folder) { packages[package.file] = package }
            } catch {
                html += "<section><p class=\"error\">\(e(error.detail))</p></section>"
            }
        } else {
            html += "<section><p class=\"na\" id=\"no-catalog\">\(e(t("This hub serves no model catalog (serve --catalog-dir).")))</p></section>"
        }
        let byFile = Dictionary(grouping: assignments, by: \.file)
        let dates = ConsolePage.dateFormatter()
        html += """
            <section><p class="na">\(e(t("A device is offered the packages assigned to its region or its institution (recorded with fluorobox-hub device set-institution), each only while its file has the SHA-256 it was assigned with.")))</p>
            <table id="packages"><thead><tr><th>\(e(t("Package")))</th><th>\(e(t("Size")))</th><th>SHA-256</th><th>\(e(t("Assigned to")))</th><th>\(e(t("Role")))</th>\
            <th>\(e(t("Devices")))</th><th>\(e(t("File")))</th><th>\(e(t("Assigned by")))</th>\(changes ? "<th></th>" : "")</tr></thead><tbody>
            """
        for file in Set(packages.keys).union(byFile.keys).sorted() {
            let package = packages[file]
            let rows = byFile[file] ?? []
            let span = max(rows.count, 1)
            var first = """
                <tr id="package-\(e(file))"><td rowspan="\(span)"><code>\(e(file))</code></td>\
                <td rowspan="\(span)">\(package.map { HTMLText.bytes($0.size) } ?? "—")</td>\
                <td rowspan="\(span)">\(package.map { "<code>\(e(String($0.sha256.prefix(16))))…</code>" } ?? "<span class=\"na\">\(e(t("not in the catalog folder")))</span>")</td>
                """
            guard !rows.isEmpty else {
                html += first + "<td colspan=\"\(changes ? 6 : 5)\" class=\"na\">\(e(t("Not assigned: offered to no device.")))</td></tr>"
                continue
            }
            for (index, assignment) in rows.enumerated() {
                let state = assignment.state(of: package)
                let stateText = switch state {
                case .asAssigned: "<span class=\"ok\">\(e(t("as assigned: offered")))</span>"
                case .changed: "<span class=\"reason\">\(e(t("changed since assigned: not offered")))</span>"
                case .missing: "<span class=\"reason\">\(e(t("gone: not offered")))</span>"
                }
                let cells = """
                    <td id="assignment-\(assignment.id)-target">\(e(targetText(assignment.target, t)))</td>\
                    <td id="assignment-\(assignment.id)-role" data-role="\(assignment.role.rawValue)">\(e(roleText(assignment.role, t)))</td>\
                    <td id="assignment-\(assignment.id)-devices">\(assignment.devicesReached(institutions))</td>\
                    <td id="assignment-\(assignment.id)-state" data-state="\(state.rawValue)">\(stateText)\
                    \(state == .changed ? "<br><small>SHA-256 \(e(String(assignment.sha256.prefix(16))))… \(e(t("when assigned")))</small>" : "")</td>\
                    <td>\(e(assignment.assignedBy)) <small>\(dates.string(from: assignment.assignedAt))</small></td>
                    """
                let takeBack = changes ? """
                    <td><form method="post" action="/models/assignments/\(assignment.id)/remove" class="inline">\(ConsolePage.csrfField(context))\
                    <button type="submit" class="danger" id="unassign-\(assignment.id)">\(e(t("Take back")))</button></form></td>
                    """ : ""
                html += (index == 0 ? first : "<tr id=\"assignment-\(assignment.id)\">") + cells + takeBack + "</tr>"
                first = ""
            }
        }
        html += "</tbody></table>"
        if packages.isEmpty, assignments.isEmpty { html += "<p class=\"na\" id=\"no-packages\">\(e(t("No packages and no assignments.")))</p>" }
        html += "</section>"
        html += try await rolloutsBody(context, assignments: assignments)
        guard changes else { return html }
        guard settings.catalogDirectory != nil, !packages.isEmpty else { return html }
        let options = packages.keys.sorted().map { "<option value=\"\(e($0))\">\(e($0)) · \(HTMLText.bytes(packages[$0]!.size))</option>" }
        let regions = Set(institutions.values.map(\.region)).sorted().map { "<option value=\"\(e($0))\">" }
        return html + """
            <section><h2>\(e(t("Assign a package")))</h2>
            <form method="post" action="/models/assign">\(ConsolePage.csrfField(context))
            <label for="package">\(e(t("Package")))</label><select id="package" name="package">\(options.joined())</select>
            <label for="region">\(e(t("Region")))</label><input id="region" name="region" list="regions" maxlength="256" size="40">\
            <datalist id="regions">\(regions.joined())</datalist>
            <label for="institutions">\(e(t("or institutions: ИНН or OID, separated by commas")))</label><input id="institutions" name="institutions" size="60">
            <p><label><input type="checkbox" id="assign-shadow" name="role" value="shadow"> \(e(t("as shadow")))</label></p>
            <p><button type="submit" id="assign-model">\(e(t("Assign")))</button></p>
            <p class="na">\(e(t("The package is pinned by its SHA-256 now; the devices it reaches download it at their next catalog check, verify its signature and activate it between studies.")))</p>
            <p class="na">\(e(t("As shadow, they install it and run it beside their active package: its findings are recorded and compared, never shown to the clinic or sent as results, and it is never activated. One shadow per region or institution list; staged rollouts are for active assignments only.")))</p>
            </form></section>
            """
    }

    func roleText(_ role: ModelAssignment.Role, _ t: InterfaceLanguage) -> String {
        switch role {
        case .active: t("active")
        case .shadow: t("shadow")
        }
    }

    func targetText(_ target: ModelAssignment.Target, _ t: InterfaceLanguage) -> String {
        switch target {
        case .region(let region): t("region") + " " + region
        case .institutions(let ids): t("institutions") + " " + ids.joined(separator: ", ")
        }
    }
}
