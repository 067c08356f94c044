import Crypto
import DICOM
import FluoroboxTestSupport
import Foundation
import GRDB
import StudyStore

/// Fills a box's store with instances (through the real intake) and results (rows as the
/// analysis service writes them), each with its platform outbox item.
public enum SyncFixture {
    public struct Expected: Sendable, Codable {
        /// key → SHA-256 of what the hub must hold.
        public var instances: [String: String] = [:]
        public var results: [String: String] = [:]
        public var instanceBytes: Int64 = 0
        public var resultBytes: Int64 = 0
        public var all: Set<String> { Set(instances.keys).union(results.keys) }
    }

    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        SHA256.hash(data: Array(bytes)).map { String(format: "%02x", $0) }.joined()
    }

    /// `dicom`: each instance is a Part 10 file (its payload `instanceBytes` of noise) that a
    /// PACS accepts, not bare bytes.
    public static func fill(
        _ store: StudyStore, instances: Int, instanceBytes: Int, results: Int, seed: UInt64 = 1, dicom: Bool = false
    ) async throws -> Expected {
        var expected = Expected()
        var generator = SeededGenerator(seed: seed)
        var instanceIDs: [Int64] = []
        var studyUIDs: [String] = []
        for index in 0..<instances {
            var bytes = [UInt8](repeating: 0, count: instanceBytes)
            for position in stride(from: 0, to: bytes.count, by: 8) {
                let value = generator.next()
                for offset in 0..<min(8, bytes.count - position) {
                    bytes[position + offset] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(offset)))
                }
            }
            let study = "1.2.826.0.1.3680043.10.1001.\(seed).\(index)"
            let sop = study + ".1"
            if dicom { bytes = try SyntheticDICOM.make(sopInstanceUID: sop, studyInstanceUID: study, payload: bytes) }
            let receipt = try await store.ingest(.bytes(bytes), origin: IntakeOrigin(source: .import, detail: "sync fixture")) { _ in
                InstanceDescription(sopInstanceUID: sop, studyInstanceUID: study, uidsGenerated: false, format: .dicom, modality: "DX")
            }
            instanceIDs.append(receipt.instanceID)
            studyUIDs.append(study)
            expected.instances[OutboxItemRecord.instanceKey(sopInstanceUID: sop, sha256: receipt.sha256)] = receipt.sha256
            expected.instanceBytes += Int64(bytes.count)
        }
        let queue = try DatabaseQueue(path: store.directory.databasePath)
        let now = Date()
        let ids = instanceIDs, uids = studyUIDs
        let written = try await queue.write { db -> [(String, String, Int)] in
            var written: [(String, String, Int)] = []
            for index in 0..<results {
                let instance = ids[index % ids.count]
                let study = uids[index % uids.count]
                try db.execute(
                    sql: "INSERT INTO analysis (instanceID, task, modelID, modelVersion, status, attempts, queuedAt, finishedAt) VALUES (?, 'chest', 'chest-phantom-demo', '1.0.\(index)', 'done', 1, ?, ?)",
                    arguments: [instance, now, now]
                )
                let analysis = db.lastInsertedRowID
                // The shape docs/platform-api.yaml gives a result (the hub refuses others), plus fields it does not read.
                let report = #"{"schemaVersion":1,"model":{"id":"demo","version":"1.0.\#(index)","use":"demonstration"},"study":"\#(study)","index":\#(index),"findings":[{"id":"nodule","probability":0.\#(index % 10)}]}"#
                let hash = hex(report.utf8)
                try db.execute(
                    sql: "INSERT INTO result (analysisID, instanceID, flagged, qualityVerdict, report, resultHash, createdAt) VALUES (?, ?, ?, 'ok', ?, ?, ?)",
                    arguments: [analysis, instance, index % 3 == 0, report, hash, now]
                )
                let result = db.lastInsertedRowID
                let key = OutboxItemRecord.resultKey(studyInstanceUID: study, modelVersion: "1.0.\(index)", resultHash: hash)
                try db.execute(
                    sql: "INSERT INTO outboxItem (destination, kind, idempotencyKey, priority, resultID, payloadBytes, state, attempts, nextAttemptAt, createdAt) VALUES ('platform', 'result', ?, 2, ?, ?, 'queued', 0, ?, ?)",
                    arguments: [key, result, report.utf8.count, now, now]
                )
                written.append((key, hash, report.utf8.count))
            }
            return written
        }
        for (key, hash, bytes) in written {
            expected.results[key] = hash
            expected.resultBytes += Int64(bytes)
        }
        return expected
    }

    /// Outbox rows of the platform by state.
    /// Polls the platform outbox until `count` items are sent or rejected, or `seconds` pass;
    /// returns the states last read.
    public static func waitUntilSettled(_ store: StudyStore, count: Int, seconds: Double) async throws -> [String: Int] {
        let deadline = Date().addingTimeInterval(seconds)
        var states: [String: Int] = [:]
        while Date() < deadline {
            states = try platformStates(store)
            if states["sent", default: 0] + states["rejected", default: 0] == count { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        return states
    }

    public static func platformStates(_ store: StudyStore) throws -> [String: Int] {
        let queue = try DatabaseQueue(path: store.directory.databasePath)
        return try queue.read { db in
            var states: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM outboxItem WHERE destination = 'platform' GROUP BY state") {
                states[row["state"]] = row["n"]
            }
            return states
        }
    }

    /// Attempts per key.
    public static func attempts(_ store: StudyStore) throws -> [String: Int] {
        let queue = try DatabaseQueue(path: store.directory.databasePath)
        return try queue.read { db in
            var attempts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT idempotencyKey, attempts FROM outboxItem WHERE destination = 'platform'") {
                attempts[row["idempotencyKey"]] = row["attempts"]
            }
            return attempts
        }
    }
}
