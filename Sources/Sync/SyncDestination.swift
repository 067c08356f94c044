import Foundation
import StudyStore

/// One place the outbox drains to; each runs in its own ``SyncService``.
public protocol SyncDestination: Sendable {
    var destination: Destination { get }
    /// The kinds this destination knows how to deliver; other kinds stay queued (and show in
    /// status) until a version of the box that knows them runs.
    var kinds: Set<OutboxKind> { get }
    func deliver(_ claim: OutboxClaim) async throws(SyncError) -> DeliveryOutcome
    /// Cheap: is the receiver reachable at all?
    func probe() async -> Bool
    func shutdown() async
    /// The receiver's clock, when it tells it (for the clock check).
    func receiverTime() async -> Date?
    /// What must happen before anything can be delivered (the platform: enrolment).
    func prepare() async throws(SyncError)
    /// How a `.delivered` item was confirmed, recorded with it where a destination confirms in
    /// more than one way (`dimse`: `c-store`, or `storage-commitment` for `.committed`).
    var confirmation: String? { get }
}

extension SyncDestination {
    public var confirmation: String? { nil }
    public func receiverTime() async -> Date? { nil }
    public func prepare() async throws(SyncError) {}
}

/// The platform's device API (docs/platform-api.yaml).
public struct PlatformDestination: SyncDestination {
    public let client: PlatformClient
    public var destination: Destination { .platform }

    /// Document kinds and the collection they are PUT to by key.
    public static let documentCollections: [OutboxKind: String] = [
        .result: "results",
        .report: "reports",
        .feedback: "feedback",
        .modelUpdate: "model-updates",
        .osUpdate: "os-updates",
        .adverseEvent: "adverse-events",
        .shadowAgreement: "shadow-agreements",
    ]

    /// When set (`sync.pseudonymise`), DICOM instances go out as a pseudonymised copy made in
    /// `copiesDirectory`; the original blob stays as it is.
    public let pseudonymiser: Pseudonymiser?
    /// When set (`sync.losslessUploads`), a DICOM instance goes out re-encoded losslessly
    /// (JPEG-LS or deflate) when that is smaller; the key stays the original's.
    public let recodesLosslessly: Bool
    let copiesDirectory: String?
    let counters: SyncCounters?

    public init(
        client: PlatformClient, pseudonymiser: Pseudonymiser? = nil, recodesLosslessly: Bool = false,
        copiesDirectory: String? = nil, counters: SyncCounters? = nil
    ) {
        self.client = client
        self.pseudonymiser = pseudonymiser
        self.recodesLosslessly = recodesLosslessly
        self.copiesDirectory = copiesDirectory
        self.counters = counters
    }

    /// Instances, and every document kind with a collection on the platform.
    public var kinds: Set<OutboxKind> { Set(Self.documentCollections.keys).union([.instance]) }

    /// Enrols first when the box has no certificate yet.
    public func prepare() async throws(SyncError) {
        try await client.enrolIfNeeded()
    }

    public func deliver(_ claim: OutboxClaim) async throws(SyncError) -> DeliveryOutcome {
        let key = claim.item.idempotencyKey
        switch claim.payload {
        case .unavailable(let reason):
            return .refused(reason: reason)
        case .blob(let blob):
            // A first attempt starts at 0; any later one asks the hub what it holds.
            let resume = claim.item.attempts > 1
            if pseudonymiser != nil, blob.format != .dicom {
                // A JPEG or PNG has no attributes the profile can act on, yet may carry a name
                // in its metadata (EXIF, text chunks) and commonly in its pixels: never sent.
                return .refused(reason: "a \(blob.format.rawValue) image cannot be pseudonymised, so it is not uploaded (only DICOM instances go to the platform when sync.pseudonymise is on)")
            }
            var copy: UploadCopy.Made?
            if let copiesDirectory {
                do {
                    copy = try await UploadCopy.make(of: blob, pseudonymiser: pseudonymiser, recodesLosslessly: recodesLosslessly, in: copiesDirectory)
                } catch let error where error.code == .localData && pseudonymiser != nil {
                    // Never sent as it is: the platform must not receive identities.
                    return .refused(reason: "not pseudonymised, so not uploaded: \(error.detail)")
                }
            }
            guard let copy else {
                return try await client.uploadInstance(key: key, blob: blob, resume: resume)
            }
            let outcome = try await client.uploadInstance(key: key, blob: copy.blob, resume: resume)
            if case .delivered = outcome, copy.bytesSaved > 0 {
                counters?.update { $0.recodedUploads += 1; $0.uploadBytesSaved += copy.bytesSaved }
            }
            UploadCopy.remove(copy.blob)
            return outcome
        case .document(let body):
            guard let collection = Self.documentCollections[claim.item.kind] else {
                return .refused(reason: "no platform collection for kind \(claim.item.kind)")
            }
            return try await client.putDocument(collection: collection, key: key, body: body)
        }
    }

    public func probe() async -> Bool { await client.probe() }
    public func receiverTime() async -> Date? { try? await client.hello(version: "fluorobox") }
    public func shutdown() async { await client.shutdown() }
}
