import BrowserAccess
import Foundation
import POSIXSupport
import StudyStore

/// What a technician sends to service: versions, configuration without secrets, the self-test,
/// counts and backlogs, the audit log and log tails, scrubbed everywhere by ``Redactor``.
public struct DiagnosticsBundle: Sendable, Codable {
    public struct LogFile: Sendable, Codable {
        public var path: String
        public var lines: [String]
    }

    public struct AuditLine: Sendable, Codable {
        public var at: Date
        public var kind: String
        public var severity: String
        public var message: String
    }

    public var generatedAt: Date
    public var system: SystemSummary
    public var host: HostReadings
    public var configuration: [String: String]
    public var selfTest: SelfTestReport
    public var studies: Int
    public var instances: Int
    public var analysesByStatus: [String: Int]
    public var destinations: [DestinationBacklog]
    public var storage: StorageReport
    public var schemaVersion: String
    public var audit: [AuditLine]
    public var logs: [LogFile]

    /// Configuration keys whose values are never exported.
    static func isSecret(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return ["password", "secret", "token", "privatekey", "credential", "apikey"].contains { lowered.contains($0) }
    }

    /// Gathers the bundle (runs the self-test).
    public static func gather(store: StudyStore, hooks: PanelHooks, auditLimit: Int = 500, logLines: Int = 500) async throws -> DiagnosticsBundle {
        let system = await hooks.system()
        let selfTest = await SelfTestReport.run(hooks.selfTestChecks())
        let status = try await BlockingIO.run { try store.status() }
        let identifiers = try await BlockingIO.run { try store.patientIdentifiers() }
        let events = try await BlockingIO.run { try store.auditEvents(limit: auditLimit) }
        let values = hooks.configuration()
        let redactor = Redactor(
            identifiers: identifiers,
            boxFolders: [store.directory.path, values["dataDirectory"] ?? "", values["modelPackages.directory"] ?? ""],
            intakeFolders: [values["watch.folder"] ?? "", values["watch.movedTo"] ?? ""]
        )
        var configuration: [String: String] = [:]
        for (key, value) in values {
            configuration[key] = isSecret(key) ? "[secret]" : redactor.redact(value)
        }
        var logs = hooks.logFiles.compactMap { path -> LogFile? in
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
            return LogFile(path: path, lines: text.split(separator: "\n", omittingEmptySubsequences: false).suffix(logLines).map { redactor.redact(String($0)) })
        }
        for unit in hooks.journalUnits {
            guard let text = try? await BlockingIO.run({ try journal(unit: unit, lines: logLines) }), !text.isEmpty else { continue }
            logs.append(LogFile(path: "journalctl -u \(unit)", lines: text.split(separator: "\n").map { redactor.redact(String($0)) }))
        }
        return DiagnosticsBundle(
            generatedAt: Date(), system: system, host: HostReadings.read(), configuration: configuration,
            selfTest: SelfTestReport(startedAt: selfTest.startedAt, results: selfTest.results.map { result in
                var copy = result
                copy.detail = redactor.redact(result.detail)
                return copy
            }),
            studies: status.studies, instances: status.instances, analysesByStatus: status.analysesByStatus,
            destinations: status.destinations.map { backlog in
                var copy = backlog
                copy.lastError = backlog.lastError.map(redactor.redact)
                return copy
            },
            storage: status.storage, schemaVersion: status.schemaVersion,
            audit: events.map { event in
                AuditLine(at: event.at, kind: event.kind, severity: event.severity.rawValue, message: redactor.redact(event.message))
            },
            logs: logs
        )
    }

    /// The unit's journal tail; empty where there is no journalctl or no such unit.
    static func journal(unit: String, lines: Int) throws -> String {
        let journalctl = "/usr/bin/journalctl"
        guard FileManager.default.isExecutableFile(atPath: journalctl) else { return "" }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: journalctl)
        process.arguments = ["-u", unit, "-n", String(lines), "-o", "short-iso", "--no-pager", "-q"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : ""
    }

    public func json() throws -> Data {
        try JSONEncoder.indented().encode(self)
    }

    /// A short human summary, for `fluorobox diagnostics` without --json.
    public var text: String {
        var lines = ["Fluorobox \(system.version) diagnostics, \(HTML.dateTime(generatedAt))"]
        lines.append("Components: " + system.components.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "; schema \(schemaVersion)")
        lines.append("Store: \(studies) studies, \(instances) instances; free \(HTMLText.bytes(Int64(storage.availableBytes))) of \(HTMLText.bytes(Int64(storage.totalBytes)))")
        for destination in destinations {
            lines.append("Outbox \(destination.destination): \(destination.queued + destination.sending) unsent, \(destination.rejected) rejected" + (destination.lastError.map { ", error: \($0)" } ?? ""))
        }
        lines.append("Configuration: \(configuration.count) keys (secrets left out)")
        lines.append("Audit: \(audit.count) events; logs: \(logs.map { "\($0.path) (\($0.lines.count) lines)" }.joined(separator: ", "))")
        lines.append(selfTest.text)
        return lines.joined(separator: "\n")
    }
}

/// Scrubs free text (log lines, errors, audit messages, configuration values) of what service
/// has no business seeing: patient names and IDs the store knows, birth dates, paths of files
/// the box did not name (an import from a USB stick, a file in the watch folder: such names
/// often carry the patient's name), passwords and credentials written into URLs.
struct Redactor: Sendable {
    let identifiers: [String]
    /// Folders whose files the box names itself (the data folder): their paths stay.
    let boxFolders: [String]
    /// Folders others fill (the watch folder): the folder stays, what lies below it goes.
    let intakeFolders: [String]

    /// First path components of the panel's own routes (they appear in its log lines).
    static let panelRoutes: Set<String> = [
        "status", "studies", "register", "device", "login", "logout", "lang", "assets", "events", "instances",
        "healthz", "readyz", "metrics", "favicon.ico",
    ]
    /// System folders: nothing there names a patient.
    static let systemFolders = ["/usr/", "/lib/", "/lib64/", "/bin/", "/sbin/", "/etc/", "/opt/", "/proc/", "/sys/", "/dev/"]

    init(identifiers: Set<String>, boxFolders: [String] = [], intakeFolders: [String] = []) {
        // Longest first, so a full name goes before its parts.
        self.identifiers = identifiers.sorted { $0.count > $1.count }
        self.boxFolders = boxFolders.filter { !$0.isEmpty }.map(Self.withoutTrailingSlash)
        self.intakeFolders = intakeFolders.filter { !$0.isEmpty }.map(Self.withoutTrailingSlash)
    }

    func redact(_ text: String) -> String {
        // Credentials written into a URL (scheme://user:password@host) go too.
        var output = text.replacingOccurrences(of: #"://[^/@\s:]+:[^/@\s]+@"#, with: "://[redacted]@", options: .regularExpression)
        // A password someone printed ("… password is …", "password=…").
        output = output.replacingOccurrences(
            of: #"(?i)(password\s*(?:is|=|:)\s*)[^\s,;)]+"#, with: "$1[redacted]", options: .regularExpression
        )
        output = redactPaths(output)
        // A birth date next to its name, in any usual writing, then any bare DICOM date
        // (YYYYMMDD, not part of a number or a UID).
        output = output.replacingOccurrences(
            of: #"(?i)(birth[ _-]?date|date[ _-]?of[ _-]?birth|\bdob|\(0010,\s*0030\))([\s"':=]*)(\d{4}-?\d{2}-?\d{2}|\d{2}[./]\d{2}[./]\d{4})"#,
            with: "$1$2[redacted]", options: .regularExpression
        )
        output = output.replacingOccurrences(
            of: #"(?<![\d.])(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?![\d.])"#, with: "[date]", options: .regularExpression
        )
        for identifier in identifiers where output.range(of: identifier, options: .caseInsensitive) != nil {
            output = output.replacingOccurrences(of: identifier, with: "[redacted]", options: .caseInsensitive)
        }
        return output
    }

    /// Absolute paths (not the path part of a URL) outside the box's own and the system's
    /// folders become `[path]`; below an intake folder only the folder is kept.
    private func redactPaths(_ text: String) -> String {
        guard let pattern = try? NSRegularExpression(pattern: #"(?<![\w.:/~\\-])/[^\s"'<>|;,()\[\]{}=]+"#) else { return text }
        var output = text
        for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).reversed() {
            guard let range = Range(match.range, in: output) else { continue }
            let path = String(output[range])
            if let kept = keptForm(of: path) {
                output.replaceSubrange(range, with: kept)
            }
        }
        return output
    }

    /// nil: the path stays as it is.
    private func keptForm(of path: String) -> String? {
        if boxFolders.contains(where: { path == $0 || path.hasPrefix($0 + "/") }) { return nil }
        if let folder = intakeFolders.first(where: { path == $0 || path.hasPrefix($0 + "/") }) {
            return path == folder || path == folder + "/" ? nil : folder + "/[path]"
        }
        if Self.systemFolders.contains(where: { path.hasPrefix($0) }) { return nil }
        let first = path.dropFirst().split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        if first.isEmpty || Self.panelRoutes.contains(first.split(separator: "?").first.map(String.init) ?? first) { return nil }
        return "[path]"
    }

    private static func withoutTrailingSlash(_ folder: String) -> String {
        folder.count > 1 && folder.hasSuffix("/") ? String(folder.dropLast()) : folder
    }
}
