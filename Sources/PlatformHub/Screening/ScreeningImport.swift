import Foundation

/// What an import of a screening list did: every entry of the file with its accession, and how
/// many were new (the others were held already under the same patient and due date, kept with
/// their accession and their details updated from the file).
public struct ScreeningImport: Sendable, Hashable {
    public var entries: [ScreeningEntry]
    public var added: Int

    public init(entries: [ScreeningEntry], added: Int) {
        self.entries = entries
        self.added = added
    }

    public var kept: Int { entries.count - added }

    /// The audit row of the import (subject: the institution).
    func auditEntry(institution: String, file: String?, by actor: String, at: Date) -> ConsoleAuditEntry {
        ConsoleAuditEntry(
            at: at, actor: actor, action: ConsoleAuditEntry.Action.screeningImported, subject: institution,
            detail: "\(entries.count) entries (\(added) new, \(kept) kept)" + (file.map { " from \($0)" } ?? ""))
    }
}
