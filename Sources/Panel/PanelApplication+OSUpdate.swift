import BrowserAccess
import Foundation
import Hummingbird
import POSIXSupport
import StudyStore

extension PanelApplication {
    /// The device page's OS section: the booted slot, both slots' versions and boot state, the
    /// last update's outcome, and for the technician the reboot into an update that waits.
    func osSection(_ context: PanelRequestContext, slots summary: OSSlotsSummary?) -> String {
        let t = context.language
        let e = HTMLText.escape
        var html = "<section id=\"os\"><h2>\(e(t("Operating system")))</h2>"
        guard let summary else {
            return html + "<p class=\"na\">\(e(t("This box has no A/B system slots.")))</p></section>"
        }
        html += "<p>\(e(t("Running:"))) <b id=\"os-running\">\(e(summary.runningVersion ?? t("unknown")))</b>, "
        html += "\(e(t("slot"))) <b id=\"os-booted\">\(e(summary.bootedSlot ?? "?"))</b></p>"
        html += "<table id=\"os-slots\"><tr><th>\(e(t("Slot")))</th><th>\(e(t("Version")))</th><th>\(e(t("State")))</th><th></th></tr>"
        for slot in summary.slots {
            let state = switch slot.state {
            case "good": t("good")
            case "trial": t("on trial")
            case "bad": t("not bootable")
            default: slot.state
            }
            var notes: [String] = []
            if slot.name == summary.bootedSlot { notes.append(t("running")) }
            if slot.bootsNext { notes.append(t("boots next")) }
            html += "<tr id=\"os-slot-\(e(slot.name))\"><td>\(e(slot.name))</td><td>\(e(slot.version ?? t("no system")))</td>"
            html += "<td class=\"\(slot.state == "bad" ? "fail" : "ok")\">\(e(state))</td><td>\(e(notes.joined(separator: ", ")))</td></tr>"
        }
        html += "</table><p>\(e(t("Last update:"))) <span id=\"os-last-outcome\">\(e(summary.lastOutcome ?? t("none")))</span></p>"
        if let waiting = summary.waitingVersion {
            html += "<p id=\"os-waiting\">\(e(t("Installed and waiting for a reboot:"))) <b>\(e(waiting))</b></p>"
            if let session = context.session, session.role == .technician, hooks.rebootIntoOSUpdate != nil {
                html += "<p>\(e(t("The box restarts into the new version; intake stops for about a minute. If the new version does not become ready, the box returns to this one by itself.")))</p>"
                html += "<form method=\"post\" action=\"/device/os/reboot\">\(HTML.csrfField(session))"
                html += "<button type=\"submit\" id=\"os-reboot\">\(e(t("Reboot into the new version")))</button></form>"
            }
        }
        return html + "</section>"
    }

    /// The technician's reboot into the update that waits: audited, answered, then rebooted.
    func rebootIntoOSUpdate(_ context: PanelRequestContext) async throws -> Response {
        guard let session = context.session, session.role == .technician else {
            return forbidden(context, path: "/device", "Only a technician can do this.")
        }
        let t = context.language
        guard let reboot = hooks.rebootIntoOSUpdate, let waiting = await hooks.osSlots()?.waitingVersion else {
            return await devicePage(context, selfTest: nil, notice: t("No OS update waits for a reboot."))
        }
        let actor = Self.actor(session)
        let store = store
        try await BlockingIO.run {
            try store.recordEvent(
                kind: "os.reboot-requested", severity: .warning, message: "reboot into OS \(waiting) requested by \(actor)",
                details: ["version": waiting, "by": actor])
        }
        logger.notice("panel: reboot into the installed OS update requested", metadata: ["version": "\(waiting)", "by": "\(actor)"])
        let logger = logger
        // Answer first; the reboot stops this server too.
        Task {
            try? await Task.sleep(for: .milliseconds(500))
            do { try await reboot() } catch { logger.error("panel: reboot failed", metadata: ["error": "\(error)"]) }
        }
        return await devicePage(context, selfTest: nil, notice: t("Rebooting into the new version; the panel is back in a few minutes."))
    }
}
