import BrowserAccess
import Foundation
import Hummingbird
import POSIXSupport

extension HubConsole {
    func addOperatorRoutes(to router: Router<ConsoleRequestContext>) {
        router.get("/operators") { _, context in
            guard context.account?.role.managesOperators == true else { return forbidden(context, path: "/operators") }
            return page("Operators", context, path: "/operators", body: operatorsBody(context, accounts: try await store.operators(), newPassword: nil))
        }
        router.post("/operators") { _, context in
            guard let admin = context.account, admin.role.managesOperators else { return forbidden(context, path: "/operators") }
            let name = (context.form["name"] ?? "").trimmingCharacters(in: .whitespaces)
            guard ConsoleOperator.isValidName(name), let role = OperatorRole(rawValue: context.form["role"] ?? "") else {
                return message("Operators", context, path: "/operators", status: .badRequest, context.language("A name is 1 to 64 of letters, digits and ._-; choose a role."))
            }
            var password = context.form["password"] ?? ""
            let generated = password.isEmpty
            if generated { password = RandomToken.password() }
            guard password.count >= ConsoleOperator.minimumPasswordLength else {
                return message("Operators", context, path: "/operators", status: .badRequest, context.language("A password has at least 12 characters; leave it empty to have one made."))
            }
            do {
                let account = ConsoleOperator(name: name, role: role, passwordHash: try await Self.hash(password), createdAt: now())
                try await store.addOperator(account, audit: ConsoleAuditEntry(
                    at: now(), actor: admin.name, action: ConsoleAuditEntry.Action.operatorAdded, subject: name, detail: "role \(role.rawValue)"
                ))
            } catch {
                return failure(error, context, path: "/operators")
            }
            return page("Operators", context, path: "/operators", body: operatorsBody(
                context, accounts: try await store.operators(), newPassword: generated ? (name, password) : nil
            ))
        }
        router.post("/operators/:name/role") { _, context in
            guard let admin = context.account, admin.role.managesOperators else { return forbidden(context, path: "/operators") }
            let name = context.parameters.get("name") ?? ""
            guard let role = OperatorRole(rawValue: context.form["role"] ?? "") else {
                return message("Operators", context, path: "/operators", status: .badRequest, context.language("Choose a role."))
            }
            do {
                try await store.setOperatorRole(name: name, role: role, audit: ConsoleAuditEntry(
                    at: now(), actor: admin.name, action: ConsoleAuditEntry.Action.operatorRoleSet, subject: name, detail: "role \(role.rawValue)"
                ))
            } catch {
                return failure(error, context, path: "/operators")
            }
            return redirect("/operators")
        }
        router.post("/operators/:name/remove") { _, context in
            guard let admin = context.account, admin.role.managesOperators else { return forbidden(context, path: "/operators") }
            let name = context.parameters.get("name") ?? ""
            do {
                try await store.removeOperator(name: name, audit: ConsoleAuditEntry(
                    at: now(), actor: admin.name, action: ConsoleAuditEntry.Action.operatorRemoved, subject: name
                ))
            } catch {
                return failure(error, context, path: "/operators")
            }
            await sessions.logOut(principal: name)
            return redirect("/operators")
        }
        router.get("/audit") { _, context in
            page("Audit", context, path: "/audit", body: auditBody(context, entries: try await store.auditEntries(limit: 500)))
        }
    }

    /// PBKDF2 off the pooled threads, like every check.
    static func hash(_ password: String) async throws(HubError) -> PasswordHash {
        do {
            return try await BlockingIO.run { try PasswordHash.make(password: password) }
        } catch {
            throw HubError(.storage, "hashing a password: \(error)")
        }
    }

    func operatorsBody(_ context: ConsoleRequestContext, accounts: [ConsoleOperator], newPassword: (name: String, password: String)?) -> String {
        let t = context.language
        let e = HTMLText.escape
        let dates = ConsolePage.dateFormatter()
        func roleOptions(_ selected: OperatorRole) -> String {
            OperatorRole.allCases.map { "<option value=\"\($0.rawValue)\"\($0 == selected ? " selected" : "")>\(e(t($0.rawValue)))</option>" }.joined()
        }
        var html = ""
        if let newPassword {
            html += """
                <section><p class="notice">\(e(t("Password of the new account, shown only now:"))) \(e(newPassword.name))</p>
                <code class="secret" id="new-password">\(e(newPassword.password))</code></section>
                """
        }
        html += "<section><table id=\"operators\"><thead><tr><th>\(e(t("Operator")))</th><th>\(e(t("Role")))</th><th>\(e(t("Since")))</th><th></th></tr></thead><tbody>"
        for account in accounts {
            let path = "/operators/" + HTMLText.percentEncode(account.name)
            html += """
                <tr id="operator-\(e(account.name))"><td>\(e(account.name))</td><td>\
                <form method="post" action="\(path)/role" class="inline">\(ConsolePage.csrfField(context))\
                <select name="role">\(roleOptions(account.role))</select> <button type="submit">\(e(t("Set role")))</button></form></td>\
                <td>\(dates.string(from: account.createdAt))</td><td>\
                <form method="post" action="\(path)/remove" class="inline">\(ConsolePage.csrfField(context))\
                <button type="submit" class="danger">\(e(t("Remove")))</button></form></td></tr>
                """
        }
        html += "</tbody></table></section>"
        html += """
            <section><h2>\(e(t("Add an operator")))</h2>
            <form method="post" action="/operators">\(ConsolePage.csrfField(context))
            <label for="name">\(e(t("Operator")))</label><input id="name" name="name" maxlength="64" required>
            <label for="role">\(e(t("Role")))</label><select id="role" name="role">\(roleOptions(.viewer))</select>
            <label for="password">\(e(t("Password (empty: one is made and shown once)")))</label><input id="password" name="password" type="password" autocomplete="new-password">
            <p><button type="submit" id="add-operator">\(e(t("Add")))</button></p>
            </form>
            <p class="na">\(e(t("viewer: sees everything; operator: also makes enrolment tokens and revokes devices; admin: also manages accounts.")))</p></section>
            """
        return html
    }

    func auditBody(_ context: ConsoleRequestContext, entries: [ConsoleAuditEntry]) -> String {
        let t = context.language
        let e = HTMLText.escape
        let dates = ConsolePage.dateFormatter()
        var html = "<section><table id=\"audit\"><thead><tr><th>\(e(t("When")))</th><th>\(e(t("Who")))</th><th>\(e(t("What")))</th><th>\(e(t("Subject")))</th><th>\(e(t("Detail")))</th></tr></thead><tbody>"
        for entry in entries {
            html += "<tr><td>\(dates.string(from: entry.at))</td><td>\(e(entry.actor))</td><td><code>\(e(entry.action))</code></td><td>\(e(entry.subject))</td><td>\(e(entry.detail ?? ""))</td></tr>"
        }
        html += "</tbody></table>"
        if entries.isEmpty { html += "<p class=\"na\">\(e(t("Nothing recorded yet.")))</p>" }
        return html + "</section>"
    }
}
