@testable import PlatformHub
import StudyStore
import Testing

@Suite("The hub takes every key the box's outbox makes")
struct HubKeyTests {
    /// Fails before: a result's key names its model as `id@version`, and the hub (and the API's
    /// pattern) refused `@`, so no result of a real model ever reached the platform.
    @Test("instance, result and feedback keys as StudyStore builds them are valid; slashes, spaces and empty keys are not")
    func outboxKeys() {
        let sha = String(repeating: "ab", count: 32)
        let keys = [
            OutboxItemRecord.instanceKey(sopInstanceUID: "2.25.1234567890", sha256: sha),
            OutboxItemRecord.resultKey(studyInstanceUID: "2.25.42", modelVersion: "chest-phantom-demo@2.0.1", resultHash: sha),
        ]
        for key in keys {
            #expect(HubServer.isValidKey(key), "\(key)")
        }
        for bad in ["", "a/b", "a b", "a?b", String(repeating: "k", count: 513)] {
            #expect(!HubServer.isValidKey(bad), "\(bad)")
        }
        #expect(!HubServer.isValidDeviceID("box@1"), "device ids keep the narrower set")
    }
}
