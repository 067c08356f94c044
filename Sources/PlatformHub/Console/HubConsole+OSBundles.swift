import BrowserAccess
import Foundation
import Hummingbird
import POSIXSupport

extension HubConsole {
    /// Assigning an OS bundle of the hub's folder to a device and taking it back: operators and
    /// admins; the store audits both in the transaction that makes the change.
    func addOSBundleRoutes(to router: Router<ConsoleRequestContext>) {
        router.post("/devices/:device/os-bundle") { _, context in
            let id = context.parameters.get("device") ?? ""
            guard let account = context.account, account.role.changesDevices else { return forbidden(context, path: "/devices") }
            guard HubServer.isValidDeviceID(id) else { return message("Device", context, path: "/devices", status: .badRequest, "bad device id") }
            guard let folder = settings.osBundleDirectory else {
                return message("Device", context, path: "/devices", status: .badRequest, context.language("This hub serves no OS bundles (serve --os-bundle-dir)."))
            }
            let file = context.form["bundle"] ?? ""
            let version = (context.form["version"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            let at = now()
            do {
                // The SHA-256 of a bundle of hundreds of megabytes: off the event loop.
                let assignment = try await BlockingIO.run {
                    var assignment = try OSBundleAssignment.of(file: file, in: folder, version: version, assignedBy: account.name)
                    assignment.assignedAt = at
                    return assignment
                }
                try await store.assignOSBundle(assignment, device: id)
            } catch {
                return failure(error, context, path: "/devices")
            }
            return redirect("/devices/" + HTMLText.percentEncode(id))
        }
        router.post("/devices/:device/os-bundle/remove") { _, context in
            let id = context.parameters.get("device") ?? ""
            guard let account = context.account, account.role.changesDevices else { return forbidden(context, path: "/devices") }
            guard HubServer.isValidDeviceID(id) else { return message("Device", context, path: "/devices", status: .badRequest, "bad device id") }
            do {
                _ = try await store.unassignOSBundle(device: id, by: account.name, at: now())
            } catch {
                return failure(error, context, path: "/devices")
            }
            return redirect("/devices/" + HTMLText.percentEncode(id))
        }
    }

    /// The device page's OS bundle: what is assigned (everyone), and for operators and admins a
    /// form to assign one of the folder's bundles and a button to take the assignment back.
    func osBundleSection(device: String, assignment: OSBundleAssignment?, _ context: ConsoleRequestContext) -> String {
        let t = context.language
        let e = HTMLText.escape
        let path = "/devices/" + HTMLText.percentEncode(device) + "/os-bundle"
        var html = "<section><h2>\(e(t("OS bundle")))</h2>"
        if let assignment {
            html += """
                <p id="os-assignment"><code id="os-assigned-file">\(e(assignment.file))</code> \(e(t("version"))) <b id="os-assigned-version">\(e(assignment.version))</b>, \
                \(HTMLText.bytes(assignment.size)) <small>SHA-256 <code>\(e(String(assignment.sha256.prefix(16))))…</code> · \(e(t("assigned by"))) \
                \(e(assignment.assignedBy)) \(ConsolePage.dateFormatter().string(from: assignment.assignedAt))</small></p>
                """
        } else {
            html += "<p class=\"na\" id=\"os-assignment\">\(e(t("No OS bundle assigned.")))</p>"
        }
        guard context.account?.role.changesDevices == true else { return html + "</section>" }
        if let assignment {
            html += """
                <form method="post" action="\(path)/remove">\(ConsolePage.csrfField(context))
                <p><button type="submit" class="danger" id="unassign-os">\(e(t("Take back")) + " " + e(assignment.file))</button></p></form>
                """
        }
        guard let folder = settings.osBundleDirectory else {
            return html + "<p class=\"na\">\(e(t("This hub serves no OS bundles (serve --os-bundle-dir).")))</p></section>"
        }
        let bundles: [(file: String, size: Int64)]
        do {
            bundles = try OSBundleAssignment.bundles(in: folder)
        } catch {
            return html + "<p class=\"error\">\(e(error.detail))</p></section>"
        }
        guard !bundles.isEmpty else { return html + "<p class=\"na\" id=\"no-os-bundles\">\(e(t("The OS bundle folder is empty.")))</p></section>" }
        let options = bundles.map { "<option value=\"\(e($0.file))\"\($0.file == assignment?.file ? " selected" : "")>\(e($0.file)) · \(HTMLText.bytes($0.size))</option>" }
        return html + """
            <form method="post" action="\(path)">\(ConsolePage.csrfField(context))
            <label for="os-bundle">\(e(t("Bundle")))</label><select id="os-bundle" name="bundle">\(options.joined())</select>
            <label for="os-bundle-version">\(e(t("Its version (the box checks the signed one itself)")))</label>\
            <input id="os-bundle-version" name="version" maxlength="128" required>
            <p><button type="submit" id="assign-os">\(e(t("Assign")))</button></p>
            <p class="na">\(e(t("The box downloads it, checks its signature and installs it into its other slot; it boots it when the technician or its maintenance window chooses.")))</p>
            </form></section>
            """
    }
}
