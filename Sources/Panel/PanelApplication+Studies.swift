import BrowserAccess
import Analysis
import Foundation
import Hummingbird
import POSIXSupport
import StudyStore

extension PanelApplication {
    func addStudyRoutes(to router: Router<PanelRequestContext>) {
        router.get("/studies") { _, context in
            let store = self.store
            let entries = try await BlockingIO.run { try store.worklist() }
            return worklistPage(entries, context)
        }
        router.get("/studies/:uid") { request, context in
            let uid = context.parameters.get("uid") ?? ""
            let store = self.store
            guard let detail = try await BlockingIO.run({ try store.studyDetail(studyInstanceUID: uid) }) else {
                return page("Study not found", context, path: "/studies", status: .notFound, body: "<section><p>\(HTMLText.escape(uid))</p></section>")
            }
            let recorded = request.uri.queryParameters.get("recorded") != nil
            return studyPage(detail, context, notice: recorded ? context.language("Verdict recorded and queued for the platform.") : nil)
        }
        router.get("/instances/:id/image") { _, context in
            try await image(instanceID: context.parameters.get("id", as: Int64.self))
        }
        router.post("/studies/:uid/feedback") { _, context in
            try await recordFeedback(context)
        }
    }

    func image(instanceID: Int64?) async throws -> Response {
        let store = self.store
        guard let instanceID, let blob = try await BlockingIO.run({ try store.instanceBlob(id: instanceID) }) else {
            return text("no such image (or its bytes were evicted after sync)", status: .notFound)
        }
        do {
            let rendered = try await BlockingIO.run { try StudyImageRenderer.render(path: blob.path, format: blob.format) }
            return bytes(rendered.bytes, contentType: rendered.contentType)
        } catch {
            logger.info("panel: image cannot be shown", metadata: ["instance": "\(instanceID)", "error": "\(error)"])
            return text("this image cannot be shown: \(error)", status: .unprocessableContent)
        }
    }

    func worklistPage(_ entries: [WorklistEntry], _ context: PanelRequestContext) -> Response {
        let t = context.language
        let e = HTMLText.escape
        var body = "<section data-reload-on-change><span data-live=\"studies\" hidden></span>"
        if entries.isEmpty {
            body += "<p class=\"na\">\(e(t("No studies yet.")))</p>"
        } else {
            body += "<table id=\"worklist\"><tr><th>\(e(t("State")))</th><th>\(e(t("Patient")))</th><th class=\"hide-narrow\">\(e(t("Date")))</th><th class=\"hide-narrow\">\(e(t("Modality")))</th><th>\(e(t("Received")))</th></tr>"
            for entry in entries {
                body += "<tr class=\"study\" data-uid=\"\(e(entry.studyInstanceUID))\"><td>\(badges(entry, t))</td>"
                    + "<td><a href=\"/studies/\(HTMLText.percentEncode(entry.studyInstanceUID))\">\(e(patientLabel(name: entry.patientName, id: entry.patientID, t)))</a></td>"
                    + "<td class=\"hide-narrow\">\(e(entry.studyDate ?? "—"))</td><td class=\"hide-narrow\">\(e(entry.modality ?? "—"))</td>"
                    + "<td>\(HTML.dateTime(entry.createdAt))</td></tr>"
            }
            body += "</table>"
        }
        body += "</section>"
        return page("Studies", context, path: "/studies", body: body)
    }

    func patientLabel(name: String?, id: String?, _ t: PanelLanguage) -> String {
        let readable = name?.replacingOccurrences(of: "^", with: " ").trimmingCharacters(in: .whitespaces)
        switch (readable.flatMap { $0.isEmpty ? nil : $0 }, id) {
        case (let name?, let id?): return "\(name) (\(id))"
        case (let name?, nil): return name
        case (nil, let id?): return id
        case (nil, nil): return t("unregistered patient")
        }
    }

    func badges(_ entry: WorklistEntry, _ t: PanelLanguage) -> String {
        var badges: [String] = []
        if entry.flagged { badges.append("<span class=\"badge flagged\">\(HTMLText.escape(t("flagged for review")))</span>") }
        if entry.retakeAdvised { badges.append("<span class=\"badge retake\">\(HTMLText.escape(t("retake advised")))</span>") }
        if badges.isEmpty {
            let done = entry.analyses["done"] ?? 0
            if done > 0 {
                badges.append("<span class=\"badge normal\">\(HTMLText.escape(t("no findings flagged")))</span>")
            } else if entry.analyses.isEmpty {
                badges.append("<span class=\"badge pending\">\(HTMLText.escape(t("not analysed")))</span>")
            } else {
                let state = ["running", "pending", "failed", "skipped"].first { (entry.analyses[$0] ?? 0) > 0 } ?? "pending"
                badges.append("<span class=\"badge pending\">\(HTMLText.escape(t(state)))</span>")
            }
        }
        if entry.feedbackCount > 0 { badges.append("<span class=\"badge pending\">\(HTMLText.escape(t("reviewed")))</span>") }
        if entry.demonstrationResults { badges.append("<span class=\"badge demo-mark\">\(HTMLText.escape(t("demonstration model")))</span>") }
        badges += entry.conflictingPatientIDs.map { conflictBadge(patientID: $0, t) }
        return badges.joined(separator: " ")
    }

    /// Marks an instance that named another patient than its study's.
    func conflictBadge(patientID: String, _ t: PanelLanguage) -> String {
        "<span class=\"badge conflict\">\(HTMLText.escape(t("Patient ID conflict:"))) \(HTMLText.escape(patientID))</span>"
    }

    static func decodeReport(_ text: String) -> AnalysisReport? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(AnalysisReport.self, from: Data(text.utf8))
    }

    func studyPage(_ detail: StudyDetail, _ context: PanelRequestContext, notice: String?) -> Response {
        let t = context.language
        let e = HTMLText.escape
        let study = detail.study
        var body = notice.map { "<p class=\"notice\" id=\"notice\">\(e($0))</p>" } ?? ""
        body += """
            <section><p><b>\(e(patientLabel(name: study.patientName, id: study.patientID, t)))</b>
            \(study.patientBirthDate.map { " · \(e(t("born"))) \(e($0))" } ?? "")\(study.patientSex.map { " · \(e($0))" } ?? "")
            · \(e(study.modality ?? "—")) · \(e(study.studyDate ?? HTML.dateTime(study.createdAt)))</p>
            <p><small>\(e(study.studyInstanceUID))</small></p></section>
            """
        var latestResultID: Int64?
        for instance in detail.instances {
            body += "<section class=\"instance\">"
            if let other = instance.conflictingPatientID {
                body += "<p>\(conflictBadge(patientID: other, t)) <small>\(e(t("This image names another patient than its study does; check which patient it belongs to.")))</small></p>"
            }
            body += "<div class=\"viewer\">"
            let plain = "/instances/\(instance.id)/image"
            let overlay = instance.results.last?.overlayInstanceID.map { "/instances/\($0)/image" }
            if instance.blobState != .present {
                body += "<p class=\"na\">\(e(t("The image bytes were removed after delivery (evicted).")))</p>"
            } else {
                body += "<img id=\"image-\(instance.id)\" src=\"\(plain)\" data-plain=\"\(plain)\" data-overlay=\"\(overlay ?? plain)\" alt=\"\(e(t("Image")))\">"
                if overlay != nil {
                    body += "<label><input type=\"checkbox\" data-overlay-toggle=\"image-\(instance.id)\" style=\"width:auto\"> \(e(t("Show overlay")))</label>"
                } else {
                    body += "<p class=\"na\">\(e(t("No overlay for this image yet.")))</p>"
                }
            }
            body += "</div>"
            // Each task's model gives its own result; the tasks still without one say where they are.
            let waiting = instance.analyses.filter { analysis in !instance.results.contains { $0.analysisID == analysis.id } }
            let states = waiting.map { "\($0.task): \(t($0.status.rawValue))" }.joined(separator: ", ")
            if instance.results.isEmpty {
                body += "<p class=\"na\">\(e(t("No analysis result yet.")))\(states.isEmpty ? "" : " (\(e(states)))")</p>"
            } else if !states.isEmpty {
                body += "<p class=\"na\">\(e(states))</p>"
            }
            for result in instance.results {
                latestResultID = result.id
                body += resultSection(result, task: instance.analyses.first { $0.id == result.analysisID }?.task, t)
            }
            body += "</section>"
        }
        // Feedback
        body += "<section id=\"feedback\"><h2>\(e(t("Doctor's verdict")))</h2>"
        for item in detail.feedback {
            body += "<p class=\"feedback-item\">\(HTML.dateTime(item.createdAt)): <b>\(e(t(item.verdict.rawValue)))</b>\(item.comment.map { " — \(e($0))" } ?? "")</p>"
        }
        if context.session?.role == .doctor {
            let options = FeedbackRecord.Verdict.allCases.map { verdict in
                "<label style=\"display:inline-block;margin-right:18px\"><input type=\"radio\" name=\"verdict\" value=\"\(verdict.rawValue)\" style=\"width:auto\" required> \(e(t(verdict.rawValue)))</label>"
            }.joined()
            body += """
                <form method="post" action="/studies/\(HTMLText.percentEncode(study.studyInstanceUID))/feedback" id="feedback-form">
                \(HTML.csrfField(context.session!))
                \(latestResultID.map { "<input type=\"hidden\" name=\"result\" value=\"\($0)\">" } ?? "")
                <div>\(options)</div>
                <label for="comment">\(e(t("Comment (optional)")))</label><textarea id="comment" name="comment" rows="2" maxlength="2000"></textarea>
                <p><button type="submit" id="send-feedback">\(e(t("Record verdict")))</button></p></form>
                """
        } else {
            body += "<p class=\"na\">\(e(t("Verdicts are recorded by a doctor.")))</p>"
        }
        body += "</section>"
        return page("Study", context, path: "/studies/\(study.studyInstanceUID)", body: body)
    }

    func resultSection(_ result: StudyDetail.Result, task: String?, _ t: PanelLanguage) -> String {
        let e = HTMLText.escape
        var body = "<div class=\"result\" data-result=\"\(result.id)\" data-task=\"\(e(task ?? ""))\">"
        if let task { body += "<p class=\"task\"><b>\(e(task))</b></p>" }
        body += result.flagged
            ? "<p><span class=\"badge flagged\">\(e(t("flagged for review")))</span></p>"
            : "<p><span class=\"badge normal\">\(e(t("no findings flagged")))</span></p>"
        guard let report = Self.decodeReport(result.report) else {
            body += "<p>\(e(t("Quality"))): \(e(result.qualityVerdict ?? "—"))</p><pre>\(e(result.report))</pre></div>"
            return body
        }
        // Legend: the overlay's colours, in finding order; a demonstration model's findings each
        // carry the mark, so none is read (or photographed) without it.
        let demonstration = report.isDemonstration
        body += "<h2>\(e(t("Findings")))</h2>"
        if demonstration {
            body += "<p class=\"error demo-result\">\(e(t(AnalysisReport.demonstrationNotice)))</p>"
        }
        body += "<div class=\"legend\">"
        for (index, finding) in report.findings.enumerated() {
            let colour = OverlayRenderer.palette[index % OverlayRenderer.palette.count]
            body += "<span class=\"finding\"><i class=\"swatch\" style=\"background:rgb(\(colour.0),\(colour.1),\(colour.2))\"></i>\(e(finding.display(in: t.rawValue))) \(String(format: "%.0f", finding.probability * 100))% "
                + "<small>(\(e(t("threshold"))) \(String(format: "%.0f", finding.threshold * 100))%)</small>\(finding.flaggedForReview ? " <b class=\"fail\">\(e(t("flagged")))</b>" : "")"
                + (demonstration ? " <b class=\"badge demo-mark\">\(e(t(HTML.demonstrationFindingMark)))</b>" : "") + "</span>"
        }
        body += "</div>"
        // Quality verdict and retake advice.
        let retake = report.quality.verdict == .retake
        body += "<h2>\(e(t("Quality")))</h2><p id=\"quality\">"
            + (retake ? "<span class=\"badge retake\">\(e(t("retake advised")))</span>" : "<span class=\"badge normal\">\(e(t("acceptable")))</span>") + "</p>"
        if !report.quality.problems.isEmpty {
            body += "<ul class=\"advice\">" + report.quality.problems.map { problem in
                let message = t == .ru ? problem.messageRU : problem.message
                let advice = t == .ru ? problem.adviceRU : problem.advice
                return "<li>\(e(message)) <b>\(e(advice))</b></li>"
            }.joined() + "</ul>"
        }
        body += """
            <h2>\(e(t("Report")))</h2><p>\(e(report.summary))</p>
            <p><small>\(e(t("Model"))) \(e(report.model.id)) \(e(report.model.version)) (\(e(t(demonstration ? "demonstration model" : "clinical model")))) · \(HTML.dateTime(report.generatedAt)) · \(e(t("A second reader: findings are flagged for review by a doctor; this is not a diagnosis.")))</small></p>
            <details><summary>JSON</summary><pre>\(e(result.report))</pre></details></div>
            """
        return body
    }

    func recordFeedback(_ context: PanelRequestContext) async throws -> Response {
        let uid = context.parameters.get("uid") ?? ""
        guard let session = context.session, session.role == .doctor else {
            return forbidden(context, path: "/studies/\(uid)", "Only a doctor can record a verdict.")
        }
        guard let verdict = FeedbackRecord.Verdict(rawValue: context.form["verdict"] ?? "") else {
            return text("choose agree, disagree or missed", status: .badRequest)
        }
        let resultID = context.form["result"].flatMap { Int64($0) }
        let comment = context.form["comment"].map { String($0.prefix(2000)) }
        let store = self.store
        do {
            try await BlockingIO.run {
                try store.recordFeedback(studyInstanceUID: uid, resultID: resultID, verdict: verdict, comment: comment, role: session.role.rawValue)
            }
        } catch let error as StoreError where error.code == .notFound {
            return text("\(error)", status: .notFound)
        }
        metrics.feedback.increment()
        return redirect("/studies/\(HTMLText.percentEncode(uid))?recorded=1")
    }
}
