import FluoroboxTestSupport
import Foundation
import GRDB
import Logging
import POSIXSupport
@testable import StudyStore

/// A store in a fresh temp folder, plus helpers to look at it from outside.
final class StoreFixture: Sendable {
    let folder: TemporaryDirectory
    let store: StudyStore

    init(
        destinations: [Destination] = [.platform], retention: RetentionPolicy = RetentionPolicy(softLimit: .bytes(0), hardLimit: .bytes(0)),
        label: String = "store", at path: String? = nil
    ) throws {
        folder = TemporaryDirectory(label)
        let configuration = StoreConfiguration(
            dataDirectory: DataDirectory(path: path ?? folder.file("data")), destinations: destinations, retention: retention
        )
        store = try StudyStore.open(configuration, logger: quietLogger)
    }

    var directory: DataDirectory { store.directory }

    /// An independent connection to the database file, as another process would see it.
    func outsideView() throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        return try DatabaseQueue(path: directory.databasePath, configuration: configuration)
    }

    /// Ingests bytes as a DICOM-described instance (the describe step is the caller's job in
    /// production; here the UIDs are given).
    @discardableResult
    func ingest(
        _ bytes: [UInt8], sopInstanceUID: String, studyInstanceUID: String = "1.2.3.4",
        source: IntakeSource = .import, analyses: [String] = []
    ) async throws -> IntakeReceipt {
        try await store.ingest(.bytes(bytes), origin: IntakeOrigin(source: source, detail: "test", analyses: analyses)) { _ in
            InstanceDescription(
                sopInstanceUID: sopInstanceUID, studyInstanceUID: studyInstanceUID, uidsGenerated: false, format: .dicom
            )
        }
    }

    func count(_ table: String, where condition: String = "1") throws -> Int {
        try outsideView().read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE \(condition)") ?? -1 }
    }

    func temporaryFiles() throws -> [String] {
        try Posix.directoryEntries(directory.temporaryPath)
    }

    func quarantinedFiles() throws -> [String] {
        try Posix.directoryEntries(directory.quarantinePath)
    }

    func blobBytes(_ sha256: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: directory.absolute(DataDirectory.relativeBlobPath(sha256: sha256)))))
    }

    /// Marks every outbox item of an instance as confirmed by its destination.
    func markSent(instanceID: Int64) async throws {
        try await store.database.write { db in
            try db.execute(sql: "UPDATE outboxItem SET state = 'sent', sentAt = ? WHERE instanceID = ?", arguments: [Date(), instanceID])
        }
    }
}

func sha256Hex(_ bytes: [UInt8]) -> String {
    SHA256Hex.string(of: bytes)
}
