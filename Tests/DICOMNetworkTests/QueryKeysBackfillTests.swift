import Appliance
import DICOM
import FluoroboxTestSupport
import GRDB
import StudyStore
import Testing

/// Instances stored before migration v8 have no Modality, Series or Instance Number of their
/// own; the backfill reads them from the blobs once.
struct QueryKeysBackfillTests {
    @Test("the backfill reads the query keys of instances stored before they were recorded")
    func backfill() async throws {
        let fixture = try await ListenerFixture(label: "qr-backfill", queryRetrievePeers: [])
        let stored = try QueryRetrieveInteropTests.populate(fixture.store)
        // As v8 leaves a row stored before it: keys unknown, marked unread.
        let database = try DatabaseQueue(path: fixture.store.directory.databasePath)
        try await database.write { try $0.execute(sql: "UPDATE instance SET modality = NULL, seriesNumber = NULL, instanceNumber = NULL, queryKeysRead = 0") }
        try database.close()
        #expect(try fixture.store.queryableInstances().allSatisfy { $0.instance.modality == nil })
        #expect(try fixture.store.instancesAwaitingQueryKeys().count == stored.files.count)

        await StoreInstanceArchive(store: fixture.store, logger: quietLogger).backfillQueryKeys()
        let rows = try fixture.store.queryableInstances(seriesInstanceUIDs: [stored.reports, stored.radiographs])
        #expect(Set(rows.compactMap(\.instance.modality)) == ["SR", "DX"])
        #expect(Set(rows.compactMap(\.instance.instanceNumber)) == ["1", "2"])
        #expect(rows.first { $0.instance.seriesInstanceUID == stored.reports }?.instance.seriesNumber == "901")
        #expect(try fixture.store.instancesAwaitingQueryKeys().isEmpty)
        await fixture.stop()
    }
}
