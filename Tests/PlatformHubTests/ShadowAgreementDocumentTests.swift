import FluoroboxTestSupport
import Foundation
@testable import PlatformHub
import POSIXSupport
import StudyStore
import Testing

/// A box's `shadow-agreement` document, as the box encodes it, is what the hub's schema accepts,
/// and the hub stores it like any other document.
@Suite struct ShadowAgreementDocumentTests {
    static let agreement = ShadowAgreement(
        device: "box-a", task: "chest-findings", shadowModel: "chest-model", shadowVersion: "3.1.0", activeModel: "chest-model",
        activeVersion: "3.0.0", day: "2026-12-06", images: 40, errors: 1,
        findings: [ShadowAgreement.Finding(id: "nodule", bothFlagged: 5, onlyActive: 1, onlyShadow: 2, neither: 32)],
        latencyP50ms: 812.5, latencyP95ms: 1204
    )

    @Test("the box's document fits the schema and is stored under its kind; one that does not fit is refused with the reason")
    func acceptedAndStored() async throws {
        let body = Array(try JSONEncoder.compact().encode(Self.agreement))
        let schema = try #require(DocumentSchema.of(kind: "shadow-agreement"))
        #expect(throws: Never.self) { try schema.validate(body) }

        let folder = TemporaryDirectory("hub-shadow-agreement")
        let store = try HubStore(directory: folder.path)
        #expect(try await store.putDocument(key: Self.agreement.idempotencyKey, kind: "shadow-agreement", device: "box-a", serial: nil, document: DocumentBody(body)))
        #expect(try await !store.putDocument(key: Self.agreement.idempotencyKey, kind: "shadow-agreement", device: "box-a", serial: nil, document: DocumentBody(body)))
        let items = try await store.list(device: "box-a")
        #expect(items.map(\.kind) == ["shadow-agreement"] && items.first?.key == Self.agreement.idempotencyKey)

        var negative = Self.agreement
        negative.findings[0].onlyShadow = -1
        let error = #expect(throws: HubError.self) { try schema.validate(Array(try JSONEncoder.compact().encode(negative))) }
        #expect(error?.detail == "findings[0].onlyShadow must be at least 0")
        let noDay = #expect(throws: HubError.self) { try schema.validate(Array(#"{"device":"d"}"#.utf8)) }
        #expect(noDay?.detail == #"the body has no "activeModel""#)
    }
}
