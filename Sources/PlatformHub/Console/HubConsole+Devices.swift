import BrowserAccess
import Foundation
import Hummingbird
import StudyStore

extension HubConsole {
    func addDeviceRoutes(to router: Router<ConsoleRequestContext>) {
        router.get("/devices") { _, context in
            let rows = try await attentionRows()
            return page("Devices", context, path: "/devices", body: devicesBody(rows, context))
        }
        router.get("/devices/:device") { _, context in
            let id = context.parameters.get("device") ?? ""
            guard HubServer.isValidDeviceID(id), let device = try await store.devices().first(where: { $0.id == id }) else {
                return message("Device", context, path: "/devices", status: .notFound, context.language("No such device."))
            }
            let history = try await store.heartbeats(device: id, limit: settings.historyShown)
            var listing = device
            listing.lastHeartbeat = history.first
            let row = DeviceAttention(device: listing, institution: try await store.institutions()[id], now: now(), thresholds: settings.attention)
            let assignment = try await store.osAssignment(device: id)
            return page("Device", context, path: "/devices", body: devicePageBody(row, history: history, osAssignment: assignment, context))
        }
        router.post("/devices/:device/revoke") { _, context in
            let id = context.parameters.get("device") ?? ""
            guard let account = context.account, account.role.changesDevices else { return forbidden(context, path: "/devices") }
            guard HubServer.isValidDeviceID(id) else { return message("Device", context, path: "/devices", status: .badRequest, "bad device id") }
            let reason = (context.form["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            do {
                _ = try await store.revoke(device: id, reason: reason.isEmpty ? nil : String(reason.prefix(500)), by: account.name)
            } catch {
                return failure(error, context, path: "/devices")
            }
            return redirect("/devices/" + HTMLText.percentEncode(id))
        }
    }

    /// Every device with its institution and latest heartbeat, the ones needing a person first.
    func attentionRows() async throws -> [DeviceAttention] {
        async let listings = store.devices()
        async let latest = store.latestHeartbeats()
        async let institutions = store.institutions()
        let (devices, heartbeats, places) = try await (listings, latest, institutions)
        let current = now()
        return DeviceAttention.sorted(devices.map { device in
            var device = device
            device.lastHeartbeat = heartbeats[device.id]
            return DeviceAttention(device: device, institution: places[device.id], now: current, thresholds: settings.attention)
        })
    }

    func devicesBody(_ rows: [DeviceAttention], _ context: ConsoleRequestContext) -> String {
        let t = context.language
        let e = HTMLText.escape
        let dates = ConsolePage.dateFormatter()
        let current = now()
        let needing = rows.count { !$0.reasons.isEmpty }
        var html = """
            <section><div class="grid">
            <div><div class="figure" id="device-count">\(rows.count)</div>\(e(t("devices")))</div>
            <div><div class="figure" id="attention-count">\(needing)</div>\(e(t("need a person")))</div>
            </div></section>
            <section><table id="devices"><thead><tr>
            <th>\(e(t("Needs a person")))</th><th>\(e(t("Device")))</th><th>\(e(t("Region / institution")))</th><th>\(e(t("Last contact")))</th>
            <th>\(e(t("Agent")))</th><th>\(e(t("Models")))</th><th>\(e(t("Backlog")))</th><th>\(e(t("Disk")))</th>
            <th>\(e(t("Clock skew")))</th><th>\(e(t("Recent errors")))</th>
            </tr></thead><tbody>
            """
        html.reserveCapacity(rows.count * 900)
        for row in rows {
            let device = row.device
            let beat = device.lastHeartbeat?.heartbeat
            let reasons = row.reasons.map { "<span class=\"reason\">\(e(reasonText($0, t)))</span>" }.joined(separator: "<br>")
            let state = device.revokedAt != nil ? "<span class=\"revoked\">\(e(t("revoked")))</span>" : (reasons.isEmpty ? "<span class=\"ok\">—</span>" : reasons)
            let place = row.institution.map { "\(e($0.region))<br><small>\(e($0.name))</small>" } ?? "<span class=\"na\">\(e(t("not recorded")))</span>"
            let contact = device.lastSeenAt.map { "\(e(age(current.timeIntervalSince($0), t)))<br><small>\(dates.string(from: $0))</small>" } ?? "<span class=\"na\">\(e(t("never")))</span>"
            let models = beat.map { $0.models.isEmpty ? "—" : $0.models.map { e("\($0.id)@\($0.version)") + ($0.use == "clinical" ? "" : " <small>(\(e(t("demo"))))</small>") }.joined(separator: "<br>") } ?? "—"
            let backlog = beat.map { backlogCell($0.backlog, t) } ?? "—"
            let disk = beat.map { beat in
                HTMLText.bytes(beat.freeDiskBytes) + "<br><small>" + e(beat.daysOfCapacity.map { String(format: "%.0f ", $0) + t("days left") } ?? t("days unknown")) + "</small>"
            } ?? "—"
            let skew = beat?.clockSkewSeconds.map { String(format: "%+.0f s", $0) } ?? "—"
            let error = beat?.errors.first.map { "<small>\(dates.string(from: $0.at)) \(e($0.source)):</small> \(e(String($0.message.prefix(120))))" } ?? "—"
            html += """
                <tr id="device-\(e(device.id))"\(row.reasons.isEmpty ? "" : " class=\"attention\"")><td>\(state)</td>\
                <td><a href="/devices/\(HTMLText.percentEncode(device.id))">\(e(device.id))</a></td><td>\(place)</td><td>\(contact)</td>\
                <td>\(e(beat?.agentVersion ?? device.version ?? "—"))</td><td>\(models)</td><td>\(backlog)</td><td>\(disk)</td><td>\(skew)</td><td>\(error)</td></tr>

                """
        }
        html += "</tbody></table>"
        if rows.isEmpty { html += "<p class=\"na\">\(e(t("No device has called or been enrolled yet.")))</p>" }
        return html + "</section>"
    }

    func devicePageBody(_ row: DeviceAttention, history: [HubHeartbeat], osAssignment: OSBundleAssignment?, _ context: ConsoleRequestContext) -> String {
        let t = context.language
        let e = HTMLText.escape
        let dates = ConsolePage.dateFormatter()
        let device = row.device
        let current = now()
        func line(_ label: String, _ value: String) -> String { "<tr><th>\(e(t(label)))</th><td>\(value)</td></tr>" }
        var html = "<section><h2 id=\"device-id\">\(e(device.id))</h2>"
        html += row.reasons.isEmpty
            ? "<p class=\"notice\" id=\"attention\">\(e(t(device.revokedAt == nil ? "Nothing needs a person." : "Revoked.")))</p>"
            : "<p id=\"attention\">" + row.reasons.map { "<span class=\"reason\">\(e(reasonText($0, t)))</span>" }.joined(separator: " ") + "</p>"
        html += "<table>"
        html += line("Region / institution", row.institution.map { e("\($0.region) — \($0.name)") + " <small>" + e([$0.taxID.map { "ИНН \($0)" }, $0.oid.map { "OID \($0)" }].compactMap { $0 }.joined(separator: ", ")) + "</small>" } ?? "<span class=\"na\">\(e(t("not recorded")))</span>")
        html += line("Last contact", device.lastSeenAt.map { "\(e(age(current.timeIntervalSince($0), t))) <small>(\(dates.string(from: $0)))</small>" } ?? e(t("never")))
        html += line("Agent", e(device.version ?? "—"))
        html += line("Certificate", device.certificateSerial.map { "<code>\(e($0))</code>" + (device.certificateNotAfter.map { " <small>\(e(t("valid until"))) \(dates.string(from: $0))</small>" } ?? "") } ?? e(t("not enrolled through the hub")))
        html += line("Enrolled", device.enrolledAt.map { dates.string(from: $0) } ?? "—")
        html += line("Revoked", device.revokedAt.map { "<span id=\"revoked-at\">\(dates.string(from: $0))</span> " + e(device.revokedReason ?? "") } ?? "—")
        html += "</table></section>"
        if let latest = history.first {
            let beat = latest.heartbeat
            html += "<section><h2>\(e(t("Latest heartbeat")))</h2><table>"
            html += line("Received", dates.string(from: latest.receivedAt) + " <small>(\(e(t("sent by the box's clock"))) \(dates.string(from: beat.sentAt)))</small>")
            html += line("Agent", e(beat.agentVersion) + " <small>(\(e(t("up"))) \(e(age(beat.uptimeSeconds, t))))</small>")
            html += line("Models", beat.models.isEmpty ? "—" : beat.models.map { e("\($0.task): \($0.id)@\($0.version) (\($0.use))") }.joined(separator: "<br>"))
            html += line("OS", beat.os.map { "<span id=\"os-version\">\(e($0.version))</span>" + ($0.bootedSlot.map { " <small>(\(e(t("slot"))) \(e($0)))</small>" } ?? "") } ?? "<span class=\"na\">\(e(t("no A/B slots")))</span>")
            html += line("Last OS update", "<span id=\"os-last-outcome\">\(e(beat.os?.lastOutcome ?? t("none")))</span>")
            html += line("Backlog", backlogCell(beat.backlog, t))
            html += line("Disk", HTMLText.bytes(beat.freeDiskBytes) + " " + e(t("free")) + ", " + e(beat.daysOfCapacity.map { String(format: "%.1f ", $0) + t("days left") } ?? t("days unknown")))
            html += line("Clock skew", beat.clockSkewSeconds.map { String(format: "%+.1f s", $0) } ?? e(t("unknown")))
            html += line("Recent errors", beat.errors.isEmpty ? e(t("none")) : beat.errors.map { "\(dates.string(from: $0.at)) <b>\(e($0.source))</b> \(e($0.message))" }.joined(separator: "<br>"))
            html += "</table></section>"
            html += "<section><h2>\(e(t("Heartbeat history")))</h2><table id=\"history\"><thead><tr><th>\(e(t("Received")))</th><th>\(e(t("Agent")))</th>"
            html += "<th>\(e(t("Backlog")))</th><th>\(e(t("Oldest unsent")))</th><th>\(e(t("Disk")))</th><th>\(e(t("Clock skew")))</th><th>\(e(t("Errors")))</th></tr></thead><tbody>"
            for earlier in history {
                let beat = earlier.heartbeat
                let oldest = beat.backlog.compactMap(\.oldestAgeSeconds).max()
                html += "<tr><td>\(dates.string(from: earlier.receivedAt))</td><td>\(e(beat.agentVersion))</td><td>\(beat.backlogCount) · \(HTMLText.bytes(beat.backlogBytes))</td>"
                html += "<td>\(oldest.map { e(age($0, t)) } ?? "—")</td><td>\(HTMLText.bytes(beat.freeDiskBytes))</td>"
                html += "<td>\(beat.clockSkewSeconds.map { String(format: "%+.1f s", $0) } ?? "—")</td><td>\(beat.errors.count)</td></tr>"
            }
            html += "</tbody></table></section>"
        } else {
            html += "<section><p class=\"na\">\(e(t("No heartbeat yet.")))</p></section>"
        }
        html += osBundleSection(device: device.id, assignment: osAssignment, context)
        if context.account?.role.changesDevices == true, device.revokedAt == nil {
            html += """
                <section><h2>\(e(t("Revoke")))</h2>
                <form method="post" action="/devices/\(HTMLText.percentEncode(device.id))/revoke">\(ConsolePage.csrfField(context))
                <label for="reason">\(e(t("Reason")))</label><input id="reason" name="reason" maxlength="500" size="60">
                <p><button type="submit" class="danger" id="revoke">\(e(t("Revoke this device")))</button></p>
                <p class="na">\(e(t("Every replica refuses its next request; it must be enrolled again with a new token.")))</p>
                </form></section>
                """
        }
        return html
    }

    func backlogCell(_ backlog: [DeviceHeartbeat.Backlog], _ t: InterfaceLanguage) -> String {
        let waiting = backlog.filter { $0.count > 0 }
        guard !waiting.isEmpty else { return "0" }
        return waiting.map { entry in
            let oldest = entry.oldestAgeSeconds.map { ", " + t("oldest") + " " + age($0, t) } ?? ""
            return HTMLText.escape("\(entry.destination): \(entry.count) · ") + HTMLText.bytes(entry.bytes) + "<small>" + HTMLText.escape(oldest) + "</small>"
        }.joined(separator: "<br>")
    }

    func reasonText(_ reason: DeviceAttention.Reason, _ t: InterfaceLanguage) -> String {
        switch reason {
        case .silent(let seconds?): t("silent for") + " " + age(seconds, t)
        case .silent(nil): t("enrolled, never heard from")
        case .backlog(let destination, let oldest): t("backlog to") + " \(destination) " + t("waiting for") + " " + age(oldest, t)
        case .diskNearlyFull(let days): t("disk nearly full:") + String(format: " %.1f ", days) + t("days left")
        case .clockWrong(let skew): t("clock wrong by") + String(format: " %+.0f s", skew)
        }
    }

    func age(_ seconds: Double, _ t: InterfaceLanguage) -> String {
        HTMLText.duration(seconds: Int(seconds.isFinite ? min(seconds, 1e9) : 0)) { t($0) }
    }
}
