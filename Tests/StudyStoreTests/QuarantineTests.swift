import FluoroboxTestSupport
import Foundation
import Testing
@testable import StudyStore

/// quarantine/ keeps what nobody could file for a person to look at, within bounds a sender of
/// garbage cannot push past.
@Suite("Quarantine bounds")
struct QuarantineTests {
    static func fixture(maxFiles: Int, maxBytes: UInt64) throws -> StoreFixture {
        try StoreFixture(retention: RetentionPolicy(
            softLimit: .bytes(0), hardLimit: .bytes(0), quarantineMaximumBytes: maxBytes, quarantineMaximumFiles: maxFiles
        ))
    }

    /// An intake the describe step refuses, kept in quarantine (as the DICOM listener does).
    static func refuse(_ fixture: StoreFixture, _ bytes: [UInt8]) async {
        _ = try? await fixture.store.ingest(.bytes(bytes), origin: IntakeOrigin(source: .dicomSCP), unreadable: .quarantine) { _ in
            throw TestFailure("garbage")
        }
    }

    @Test("past its file bound the oldest quarantined files go, audited; the status counts what is left")
    func fileBound() async throws {
        let fixture = try Self.fixture(maxFiles: 3, maxBytes: 1 << 30)
        for index in 0..<5 {
            await Self.refuse(fixture, SyntheticDICOM.randomBytes(1000 + index))
            try await Task.sleep(for: .milliseconds(1100))   // names carry the second: keep them ordered
        }
        let files = try fixture.quarantinedFiles()
        #expect(files.count == 3)
        let summary = try fixture.store.quarantineSummary()
        #expect(summary.files == 3 && summary.bytes == 1002 + 1003 + 1004)
        #expect(try fixture.store.status().quarantine?.files == 3)
        #expect(try fixture.count("auditEvent", where: "kind = 'quarantine.evicted'") == 2)
    }

    @Test("past its byte bound the oldest go until the rest fits")
    func byteBound() async throws {
        let fixture = try Self.fixture(maxFiles: 100, maxBytes: 25_000)
        for _ in 0..<4 { await Self.refuse(fixture, SyntheticDICOM.randomBytes(10_000)) }
        let summary = try fixture.store.quarantineSummary()
        #expect(summary.files == 2 && summary.bytes == 20_000)
    }

    @Test("a technician clears the quarantine; audited with who did it")
    func clear() async throws {
        let fixture = try Self.fixture(maxFiles: 100, maxBytes: 1 << 30)
        for _ in 0..<3 { await Self.refuse(fixture, SyntheticDICOM.randomBytes(500)) }
        let cleared = try fixture.store.clearQuarantine(by: "technician (panel)")
        #expect(cleared.files == 3)
        #expect(try fixture.quarantinedFiles().isEmpty)
        #expect(try fixture.count("auditEvent", where: "kind = 'quarantine.cleared' AND message LIKE 'technician (panel)%'") == 1)
    }
}
