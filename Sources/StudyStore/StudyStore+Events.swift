import Foundation
import GRDB

extension StudyStore {
    /// Records what a person did on the box outside the data path (a reboot into an OS update
    /// asked for on the panel), so the audit log says who and when.
    public func recordEvent(kind: String, severity: AuditSeverity, message: String, details: [String: String]? = nil) throws(StoreError) {
        try write("recording \(kind)") { db in
            var event = AuditEventRecord(kind: kind, severity: severity, message: message, details: details)
            try event.insert(db)
        }
    }
}
