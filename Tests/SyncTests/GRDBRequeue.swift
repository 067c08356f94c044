import GRDB
import StudyStore

enum GRDBRequeue {
    /// Puts sent items back in the queue, as if the box had never heard the receiver's answer.
    static func requeueSent(_ store: StudyStore, destination: String) throws -> Int {
        let queue = try DatabaseQueue(path: store.directory.databasePath)
        return try queue.write { db in
            try db.execute(sql: "UPDATE outboxItem SET state = 'queued', sentAt = NULL WHERE destination = ? AND state = 'sent'", arguments: [destination])
            return db.changesCount
        }
    }
}
