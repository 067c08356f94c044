import ArgumentParser
import Appliance
import Foundation
import StudyStore

struct StudiesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "studies",
        abstract: "List stored studies and every instance with its SHA-256, source and sync state."
    )

    @OptionGroup var common: CommonOptions

    @Flag(name: .long, help: "Print JSON: {\"studies\": [{…, \"instances\": [{…}]}]}.")
    var json = false

    @Flag(name: .long, help: "The panel's worklist: studies flagged for review or advised for a retake first, with their state.")
    var worklist = false

    func run() async throws {
        let store = try common.openStore()
        if worklist {
            let entries = try store.worklist()
            if json {
                try printJSON(WorklistDocument(worklist: entries))
            } else {
                print(WorklistText.render(entries))
            }
            return
        }
        let studies = try store.listStudies()
        if json {
            try printJSON(StudiesDocument(studies: studies))
            return
        }
        if studies.isEmpty {
            print("No studies stored in \(store.directory.path).")
            return
        }
        let count = studies.reduce(0) { $0 + $1.instances.count }
        print("\(studies.count) stud\(studies.count == 1 ? "y" : "ies"), \(count) instance(s) in \(store.directory.path)\n")
        for study in studies {
            let who = [study.patientName.map { $0.replacingOccurrences(of: "^", with: " ") }, study.patientID.map { "ID \($0)" }]
                .compactMap { $0 }.joined(separator: ", ")
            print("Study \(study.studyInstanceUID)\(study.uidGenerated ? " (generated)" : "")")
            print("  \([who, study.modality, study.studyDate, study.studyDescription].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " · "))")
            for instance in study.instances {
                let received = Self.time.string(from: instance.receivedAt)
                var flags: [String] = []
                if instance.blobState != .present { flags.append(instance.blobState.rawValue.uppercased()) }
                if instance.uidConflict { flags.append("UID-CONFLICT") }
                if let other = instance.conflictingPatientID { flags.append("PATIENT-CONFLICT(\(other))") }
                print(
                    "  \(received)  \(instance.source.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) "
                        + "\(instance.format.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)) "
                        + "\(ByteCount.format(UInt64(instance.size)).padding(toLength: 10, withPad: " ", startingAt: 0)) "
                        + "sync:\(instance.syncState.padding(toLength: 10, withPad: " ", startingAt: 0)) "
                        + "\(instance.sha256.prefix(16))  \(instance.sopInstanceUID)"
                        + (flags.isEmpty ? "" : "  " + flags.joined(separator: " "))
                )
                for analysis in instance.analyses {
                    var parts = ["\(analysis.task) \(analysis.status.rawValue)"]
                    if let summary = analysis.summary { parts.append(summary) }
                    if let verdict = analysis.qualityVerdict { parts.append("quality \(verdict)") }
                    if let error = analysis.error { parts.append("error: \(error)") }
                    if analysis.demonstrationModel == true { parts.append("DEMONSTRATION MODEL: findings mean nothing") }
                    print("      analysis: " + parts.joined(separator: " · "))
                }
            }
            print("")
        }
    }

    static let time: DateFormatter = {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter
    }()
}

struct StudiesDocument: Encodable {
    var studies: [StudyListing]
}

struct WorklistDocument: Encodable {
    var worklist: [WorklistEntry]
}

/// The panel's worklist as text, one study a line, in the panel's order.
enum WorklistText {
    static func state(_ entry: WorklistEntry) -> String {
        var states: [String] = []
        if entry.flagged { states.append("FLAGGED") }
        if entry.retakeAdvised { states.append("RETAKE") }
        if states.isEmpty {
            if (entry.analyses["done"] ?? 0) > 0 {
                states.append("no findings")
            } else if entry.analyses.isEmpty {
                states.append("not analysed")
            } else {
                states.append(["running", "pending", "failed", "skipped"].first { (entry.analyses[$0] ?? 0) > 0 } ?? "pending")
            }
        }
        if entry.feedbackCount > 0 { states.append("reviewed") }
        // First, so it is never the part a narrow column would cut.
        if entry.demonstrationResults { states.insert("DEMO", at: 0) }
        return states.joined(separator: ",")
    }

    static func render(_ entries: [WorklistEntry]) -> String {
        guard !entries.isEmpty else { return "No studies yet." }
        let note = entries.contains(where: \.demonstrationResults)
            ? ["DEMO: read by a demonstration model; its findings on real radiographs mean nothing"] : []
        return (entries.map { entry in
            let who = [entry.patientName.map { $0.replacingOccurrences(of: "^", with: " ") }, entry.patientID.map { "ID \($0)" }]
                .compactMap { $0 }.joined(separator: ", ")
            let state = state(entry)
            return "\(state.padding(toLength: max(16, state.count), withPad: " ", startingAt: 0)) \(StudiesCommand.time.string(from: entry.createdAt))  "
                + "\(who.isEmpty ? "unregistered patient" : who) · \(entry.modality ?? "—") · \(entry.studyInstanceUID)"
        } + note).joined(separator: "\n")
    }
}
