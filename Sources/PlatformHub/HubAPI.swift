import Foundation
import Logging
import OpenAPIRuntime
import POSIXSupport
import PlatformAPITypes
import StudyStore

/// The JSON operations of docs/platform-api.yaml, as the generated server (PlatformAPIServer)
/// calls them. ``HubAPIMiddleware`` has identified the device and read the body before an
/// operation runs; a refusal is thrown as ``HubError`` and answered as the API's problem.
struct HubAPI: APIProtocol {
    let store: any HubStoring
    /// Folder of model packages served as the catalog (optional).
    let catalogDirectory: String?
    let deviceCA: DeviceCA?
    let deviceCertificateValidity: Duration
    /// Refused enrolments per client address (`POST /v1/enrolment`), for this replica.
    let enrolmentThrottle: EnrolmentThrottle
    let logger: Logger

    /// 204 when this replica can serve: its database answers (a refusal is 503 with the problem).
    func health(_ input: Operations.Health.Input) async throws -> Operations.Health.Output {
        try await store.checkAvailable()
        return .noContent(.init())
    }

    func hello(_ input: Operations.Hello.Input) async throws -> Operations.Hello.Output {
        let device = try HubRequestScope.device()
        let body = try HubRequestScope.body()
        // The body is optional; one that is there is the document's.
        if !body.isEmpty { try DocumentSchema.of(.hello).validate(body) }
        let version: String? = switch input.body { case .json(let payload): payload.version; case nil: nil }
        try await store.recordHello(device: device, version: version)
        return .ok(.init(body: .json(.init(device: device, serverTime: Date()))))
    }

    func putResult(_ input: Operations.PutResult.Input) async throws -> Operations.PutResult.Output {
        try await putDocument(kind: .result, key: input.path.key) ? .created(.init()) : .ok(.init())
    }

    func putReport(_ input: Operations.PutReport.Input) async throws -> Operations.PutReport.Output {
        try await putDocument(kind: .report, key: input.path.key) ? .created(.init()) : .ok(.init())
    }

    func putFeedback(_ input: Operations.PutFeedback.Input) async throws -> Operations.PutFeedback.Output {
        try await putDocument(kind: .feedback, key: input.path.key) ? .created(.init()) : .ok(.init())
    }

    func putAdverseEvent(_ input: Operations.PutAdverseEvent.Input) async throws -> Operations.PutAdverseEvent.Output {
        try await putDocument(kind: .adverseEvent, key: input.path.key) ? .created(.init()) : .ok(.init())
    }

    func putModelUpdate(_ input: Operations.PutModelUpdate.Input) async throws -> Operations.PutModelUpdate.Output {
        let fresh = try await putDocument(kind: .modelUpdate, key: input.path.key)
        // A staged rollout may now advance or halt: the hub decides at once, not at its next look.
        if fresh { await RolloutSupervisor(store: store, logger: logger).evaluateLogging() }
        return fresh ? .created(.init()) : .ok(.init())
    }

    func putShadowAgreement(_ input: Operations.PutShadowAgreement.Input) async throws -> Operations.PutShadowAgreement.Output {
        try await putDocument(kind: .shadowAgreement, key: input.path.key) ? .created(.init()) : .ok(.init())
    }

    func putOSUpdate(_ input: Operations.PutOSUpdate.Input) async throws -> Operations.PutOSUpdate.Output {
        try await putDocument(kind: .osUpdate, key: input.path.key) ? .created(.init()) : .ok(.init())
    }

    /// Stores the body as it arrived (its digest was checked against Content-SHA256): the
    /// same key with the same bytes again is the same item. true: new (201).
    private func putDocument(kind: DocumentSchema.Kind, key: String) async throws(HubError) -> Bool {
        let device = try HubRequestScope.device()
        let document = try HubRequestScope.document()
        // What the generated decoding does not check: minimums, maximums, dates and days.
        try DocumentSchema.of(kind).validate(document.bytes)
        let fresh = try await store.putDocument(key: key, kind: kind.rawValue, device: device, serial: try HubRequestScope.require().serial, document: document)
        CrashPoint.reached("hub-after-commit")
        logger.debug("document stored", metadata: ["key": "\(key)", "device": "\(device)", "fresh": "\(fresh)"])
        return fresh
    }

    func listItems(_ input: Operations.ListItems.Input) async throws -> Operations.ListItems.Output {
        let device = try HubRequestScope.device()
        let items = try await store.list(device: device).map {
            Components.Schemas.Item(
                key: $0.key, kind: $0.kind, device: $0.device, sha256: $0.sha256, size: $0.size,
                receivedAt: $0.receivedAt, bytesResent: $0.bytesResent
            )
        }
        return .ok(.init(body: .json(items)))
    }

    /// The packages assigned to the calling device's region or institution, as they are on disk
    /// (one changed since it was assigned is left out until assigned anew).
    func listModels(_ input: Operations.ListModels.Input) async throws -> Operations.ListModels.Output {
        let device = try HubRequestScope.device()
        let (packages, left) = try await ModelCatalog(folder: catalogDirectory, store: store).offered(to: device, shadows: input.query.shadows == true)
        if !left.isEmpty {
            logger.warning("assigned packages not offered: changed on disk since assigned, or gone", metadata: ["device": "\(device)", "files": "\(left)"])
        }
        let models = packages.map { package, rollback, shadow in
            Components.Schemas.Catalog.ModelsPayloadPayload(
                file: package.file, size: package.size, sha256: package.sha256, url: "/v1/models/\(package.file)", rollback: rollback ? true : nil,
                shadow: shadow ? true : nil)
        }
        return .ok(.init(body: .json(.init(models: models))))
    }
}
