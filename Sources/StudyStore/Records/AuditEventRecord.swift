import Foundation
import GRDB

/// One row of `auditEvent`: something the box did or found that someone may need to trace.
public struct AuditEventRecord: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "auditEvent"

    public var id: Int64?
    public var at: Date
    /// Dotted name, e.g. "instance.stored", "instance.uid-conflict", "recovery.completed".
    public var kind: String
    public var severity: AuditSeverity
    public var instanceID: Int64?
    public var message: String
    /// Machine-readable specifics as a JSON object.
    public var details: String?

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let at = Column(CodingKeys.at)
        public static let kind = Column(CodingKeys.kind)
        public static let severity = Column(CodingKeys.severity)
    }

    public init(
        at: Date = Date(), kind: String, severity: AuditSeverity, instanceID: Int64? = nil,
        message: String, details: [String: String]? = nil
    ) {
        self.at = at
        self.kind = kind
        self.severity = severity
        self.instanceID = instanceID
        self.message = message
        self.details = details.flatMap { dictionary in
            (try? JSONSerialization.data(withJSONObject: dictionary, options: [.sortedKeys]))
                .map { String(decoding: $0, as: UTF8.self) }
        }
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}
