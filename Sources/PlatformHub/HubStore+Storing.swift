import Hummingbird
import POSIXSupport
import ServiceLifecycle

/// The SQLite store behind the protocol the server uses. GRDB's calls block (a write waits for
/// the file lock and fsync), so each runs on a thread of its own, off the cooperative pool.
extension HubStore: HubStoring {
    public var services: [any Service] { [] }

    /// The schema is migrated when the store opens.
    public func prepare() async throws(HubError) {}

    public func prepareSchema() async throws(HubError) {}

    /// The file is open for as long as the store is.
    public func checkAvailable() async throws(HubError) {}

    public func putDocument(key: String, kind: String, device: String, serial: String?, document: DocumentBody) async throws(HubError) -> Bool {
        try await blocking { try self.blockingPutDocument(key: key, kind: kind, device: device, serial: serial, document: document) }
    }

    public func uploadState(device: String, key: String) async throws(HubError) -> HubUploadState {
        try await blocking { try self.blockingUploadState(device: device, key: key) }
    }

    public func recordHello(device: String, version: String?) async throws(HubError) {
        try await blocking { try self.blockingRecordHello(device: device, version: version) }
    }

    public func list(device: String?) async throws(HubError) -> [HubListing] {
        try await blocking { try self.blockingList(device: device) }
    }

    public func createEnrolmentToken(_ token: EnrolmentToken) async throws(HubError) {
        try await blocking { try self.blockingCreateEnrolmentToken(token) }
    }

    public func enrol(tokenSHA256: String, certificate: IssuedDeviceCertificate) async throws(HubError) {
        try await blocking { try self.blockingEnrol(tokenSHA256: tokenSHA256, certificate: certificate) }
    }

    public func revoke(device: String, reason: String?, by actor: String) async throws(HubError) -> Bool {
        try await blocking { try self.blockingRevoke(device: device, reason: reason, by: actor) }
    }

    public func checkCredential(device: String, serial: String?) async throws(HubError) {
        try await blocking { try self.blockingCheckCredential(device: device, serial: serial) }
    }

    public func devices() async throws(HubError) -> [HubDeviceListing] {
        try await blocking { try self.blockingDevices() }
    }

    /// One process owns the file: the server's per-key lock serialises chunks of one upload.
    public func receiveChunk(device: String, key: String, upload headers: UploadHeaders, body: RequestBody) async throws -> HubChunkOutcome {
        let length = headers.length
        let sha256 = headers.sha256
        guard let upload = try await blocking({
            try self.beginChunk(key: key, device: device, offset: headers.offset, length: length, sha256: sha256)
        }) else {
            return .alreadyHeld(.complete(size: length, sha256: sha256))
        }
        let written = try await StagedPart.write(
            path: partPath(device: device, key: key), offset: headers.offset, length: length, body: body
        ) { lost in
            try? await self.blocking { self.recordLostBytes(device: device, key: key, received: lost) }
        }
        let position = written.end
        try await blocking { try self.commitChunk(device: device, key: key, offset: position, received: position - headers.offset) }
        guard position == length else {
            return .accepted(.partial(offset: position, length: length, sha256: sha256))
        }
        var finished = upload
        finished.offset = position
        let complete = finished
        try await blocking { try self.completeUpload(complete) }
        return .completed(.complete(size: length, sha256: sha256))
    }

    /// Off the cooperative pool; other extensions of the store use it too.
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws(HubError) -> T {
        do {
            return try await BlockingIO.run { try body() }
        } catch let error as HubError {
            throw error
        } catch {
            throw HubError(.storage, "\(error)")
        }
    }
}
