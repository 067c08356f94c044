import BrowserAccess
import Foundation
import Hummingbird
import POSIXSupport
import StudyStore

extension PanelApplication {
    func addRegistrationRoutes(to router: Router<PanelRequestContext>) {
        router.get("/register") { _, context in
            try await registrationPage(context, message: nil, error: nil)
        }
        router.post("/register") { _, context in
            try await register(context)
        }
        router.post("/register/cancel") { _, context in
            let store = self.store
            _ = try await BlockingIO.run { try store.cancelPendingRegistration() }
            return try await registrationPage(context, message: context.language("The pending registration was cancelled."), error: nil)
        }
    }

    func register(_ context: PanelRequestContext) async throws -> Response {
        let t = context.language
        func field(_ name: String) -> String? {
            let value = context.form[name]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            return value.isEmpty ? nil : value
        }
        let patientID = field("patientID")
        let family = field("family"), given = field("given")
        let name = family.map { [$0, given].compactMap { $0 }.joined(separator: "^") } ?? given.map { "^" + $0 }
        guard patientID != nil || name != nil else {
            return try await registrationPage(context, message: nil, error: t("Enter a patient ID or a name."), status: .badRequest)
        }
        var birthDate: String?
        if let raw = field("birthDate") {
            // <input type=date> sends YYYY-MM-DD; DICOM wants YYYYMMDD.
            let digits = raw.filter(\.isNumber)
            guard digits.count == 8, let year = Int(digits.prefix(4)), (1900...2100).contains(year) else {
                return try await registrationPage(context, message: nil, error: t("The birth date must be a date (YYYY-MM-DD)."), status: .badRequest)
            }
            birthDate = digits
        }
        let sex = field("sex").flatMap { ["M", "F", "O"].contains($0) ? $0 : nil }
        for value in [patientID, name, field("note")].compactMap({ $0 }) where value.count > 64 * 4 || value.contains("\\") {
            return try await registrationPage(context, message: nil, error: t("A field is too long or contains a backslash."), status: .badRequest)
        }
        let record = RegistrationRecord(patientID: patientID, patientName: name, patientBirthDate: birthDate, patientSex: sex, worklistNote: field("note"))
        let store = self.store
        try await BlockingIO.run { try store.register(record) }
        return try await registrationPage(context, message: t("Registered: the next capture without DICOM demographics gets this patient."), error: nil)
    }

    func registrationPage(_ context: PanelRequestContext, message: String?, error: String?, status: HTTPResponse.Status = .ok) async throws -> Response {
        let t = context.language
        let e = HTMLText.escape
        let store = self.store
        let (pending, recent, screening) = try await BlockingIO.run {
            (try store.pendingRegistration(), try store.registrations(), try store.screeningEntries())
        }
        var body = ""
        if let message { body += "<p class=\"notice\" id=\"notice\">\(e(message))</p>" }
        if let error { body += "<p class=\"error\" id=\"form-error\">\(e(error))</p>" }
        body += "<section id=\"pending\"><h2>\(e(t("Next patient")))</h2>"
        if let pending {
            body += "<p><b>\(e(patientLabel(name: pending.patientName, id: pending.patientID, t)))</b>"
                + (pending.patientBirthDate.map { " · \(e($0))" } ?? "") + (pending.patientSex.map { " · \(e($0))" } ?? "")
                + (pending.worklistNote.map { " · \(e($0))" } ?? "") + " <small>(\(HTML.dateTime(pending.registeredAt)))</small></p>"
                + "<form method=\"post\" action=\"/register/cancel\">\(HTML.csrfField(context.session!))<button type=\"submit\" id=\"cancel-registration\">\(e(t("Cancel")))</button></form>"
        } else {
            body += "<p class=\"na\">\(e(t("Nobody is registered; the next USB capture is stored without demographics.")))</p>"
        }
        body += "</section>"
        body += worklistSection(recent, t)
        body += screeningSection(screening, t)
        body += """
            <section><form method="post" action="/register" id="register-form" autocomplete="off">
            \(HTML.csrfField(context.session!))
            <div class="grid">
            <div><label for="patientID">\(e(t("Patient ID")))</label><input id="patientID" name="patientID" maxlength="64"></div>
            <div><label for="family">\(e(t("Family name")))</label><input id="family" name="family" maxlength="64"></div>
            <div><label for="given">\(e(t("Given names")))</label><input id="given" name="given" maxlength="64"></div>
            <div><label for="birthDate">\(e(t("Birth date")))</label><input id="birthDate" name="birthDate" type="date"></div>
            <div><label for="sex">\(e(t("Sex")))</label><select id="sex" name="sex"><option value=""></option>
            <option value="F">\(e(t("female")))</option><option value="M">\(e(t("male")))</option><option value="O">\(e(t("other")))</option></select></div>
            <div><label for="note">\(e(t("Worklist note")))</label><input id="note" name="note" maxlength="200"></div>
            </div>
            <p><button type="submit" id="register">\(e(t("Register for the next capture")))</button></p>
            </form></section>
            """
        return page("Registration", context, path: "/register", status: status, body: body)
    }

    /// Recent registrations as the modality worklist sees them: accession and where each stands.
    func worklistSection(_ registrations: [RegistrationRecord], _ t: PanelLanguage) -> String {
        let e = HTMLText.escape
        guard !registrations.isEmpty else { return "" }
        var rows = ""
        for record in registrations {
            let state = if let instance = record.linkedInstanceID {
                t("linked to image") + " #\(instance)"
            } else if record.consumedAt != nil {
                t("used by a USB capture")
            } else if record.cancelledAt != nil {
                t("cancelled")
            } else {
                t("scheduled")
            }
            rows += "<tr><td>\(e(record.accessionNumber ?? "—"))</td><td>\(e(patientLabel(name: record.patientName, id: record.patientID, t)))</td>"
                + "<td>\(HTML.dateTime(record.registeredAt))</td><td class=\"worklist-state\">\(e(state))</td></tr>"
        }
        return "<section id=\"worklist\"><h2>\(e(t("Modality worklist")))</h2><table><thead><tr><th>\(e(t("Accession")))</th>"
            + "<th>\(e(t("Patient")))</th><th>\(e(t("Registered")))</th><th>\(e(t("State")))</th></tr></thead><tbody>\(rows)</tbody></table></section>"
    }

    /// The platform's list of people due for screening (first 200 by due date): each entry's
    /// accession, patient, due date and whether an image has come with it.
    func screeningSection(_ entries: [ScreeningEntryRecord], _ t: PanelLanguage) -> String {
        let e = HTMLText.escape
        guard !entries.isEmpty else { return "" }
        var rows = ""
        for entry in entries.prefix(200) {
            let state = entry.linkedInstanceID.map { t("linked to image") + " #\($0)" } ?? (entry.linkedAt != nil ? t("done") : t("scheduled"))
            let due = entry.dueDate.count == 8 ? "\(entry.dueDate.prefix(4))-\(entry.dueDate.dropFirst(4).prefix(2))-\(entry.dueDate.suffix(2))" : entry.dueDate
            rows += "<tr><td>\(e(entry.accessionNumber))</td><td>\(e(patientLabel(name: entry.patientName, id: entry.patientID, t)))</td>"
                + "<td>\(e(due))</td><td class=\"screening-state\">\(e(state))</td></tr>"
        }
        let more = entries.count > 200 ? "<p class=\"na\">\(e(t("Showing the first 200 by due date.")))</p>" : ""
        return "<section id=\"screening\"><h2>\(e(t("Due for screening (platform list)")))</h2><table><thead><tr><th>\(e(t("Accession")))</th>"
            + "<th>\(e(t("Patient")))</th><th>\(e(t("Due date")))</th><th>\(e(t("State")))</th></tr></thead><tbody>\(rows)</tbody></table>\(more)</section>"
    }
}
