import Foundation
import HTTPTypes
import NIOCore
import OpenAPIRuntime
import POSIXSupport
import PlatformAPITypes
import StudyStore

/// What the hub does around every generated operation, in the order the hand-written routes did
/// it: the key and device named in the path are checked, the device is identified from its
/// certificate (``DeviceIdentity``) before a byte of the body is read (and its revocation
/// checked then, except for a document PUT or a heartbeat, whose store checks it in the
/// statement that writes),
/// a document PUT with Content-Range is refused and the injected faults strike, then the body is
/// read within its bound and kept as received (documents are stored, and their digest checked,
/// as sent; the generated decoding only checks their shape).
///
/// Every refusal, here or in an operation, becomes the API's problem answer with the status
/// ``HubError`` gives it; a request the generated code cannot read (a missing required header
/// or property, a mistyped value, a wrong content type) is 400.
struct HubAPIMiddleware: ServerMiddleware {
    let store: any HubStoring
    let tls: Bool
    let faults: HubFaults

    /// Document bodies; a document is small (a report), an instance is not one.
    static let maxDocumentBytes = 16 * 1024 * 1024
    static let maxEnrolmentBytes = 64 * 1024
    static let maxHelloBytes = 64 * 1024

    /// The document PUTs and the kind each stores.
    static let documentKinds: [String: DocumentSchema.Kind] = [
        Operations.PutResult.id: .result, Operations.PutReport.id: .report, Operations.PutFeedback.id: .feedback,
        Operations.PutAdverseEvent.id: .adverseEvent, Operations.PutModelUpdate.id: .modelUpdate,
        Operations.PutOSUpdate.id: .osUpdate, Operations.PutShadowAgreement.id: .shadowAgreement,
    ]

    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var scope: HubRequestScope?
        do {
            var admitted = try HubRequestScope.require()
            defer { scope = admitted }
            try await admit(request, body: body, metadata: metadata, operationID: operationID, into: &admitted)
            // An empty body is no body: hello's is optional, a document's then missing.
            let passed = admitted.body.map { $0.isEmpty ? nil : HTTPBody($0) } ?? body
            // The hub answers JSON whatever Accept says, as it always has: an Accept the
            // generated code would weigh against the answer must not turn a stored item into a 500.
            var request = request
            request.headerFields[.accept] = nil
            return try await HubRequestScope.$current.withValue(admitted) { [request] in
                try await next(request, passed, metadata)
            }
        } catch let error as HubError {
            return Self.problem(error)
        } catch let error as ServerError {
            if let hubError = error.underlyingError as? HubError { return Self.problem(hubError) }
            if error.operationInput == nil {
                // The generated deserializer refused the request: it does not fit the document.
                // The hub's own reading of the body says why in the words a box logs (the
                // heartbeat's decoder, the documents' schemas); the generated code's reason is
                // the fallback.
                return Self.problem(Self.refusal(operationID, body: scope?.body) ?? HubError(.badRequest, Self.misfit(error)))
            }
            return Self.problem(HubError(.storage, "\(error.underlyingError)"))
        }
    }

    /// Checks and identifies the request before the operation sees it; fills `scope`.
    private func admit(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String, into scope: inout HubRequestScope
    ) async throws(HubError) {
        let headers = request.headerFields
        switch operationID {
        case Operations.Health.id:
            return
        case Operations.Enrol.id:
            // No device yet: enrolment is how a box gets its certificate.
            scope.body = try await Self.collect(body, upTo: Self.maxEnrolmentBytes, tooLarge: "an enrolment request is at most 64 KiB")
        case Operations.Hello.id, Operations.Heartbeat.id:
            let named = Self.pathParameter("device", metadata)
            guard let named, HubServer.isValidDeviceID(named) else { throw HubError(.badRequest, "bad device id") }
            if operationID == Operations.Heartbeat.id {
                // The store checks the credential in the statement that records the heartbeat.
                (scope.device, scope.serial) = try await DeviceIdentity.presented(headers: headers, channel: scope.channel, tls: tls, pathDevice: named)
            } else {
                scope.device = try await DeviceIdentity.of(headers: headers, channel: scope.channel, tls: tls, store: store, pathDevice: named)
            }
            scope.body = operationID == Operations.Hello.id
                ? try await Self.collect(body, upTo: Self.maxHelloBytes, tooLarge: "a hello is at most 64 KiB")
                : try await Self.collect(body, upTo: DeviceHeartbeat.maxBytes, tooLarge: "a heartbeat is at most \(DeviceHeartbeat.maxBytes) bytes")
        case let id where Self.documentKinds[id] != nil:
            guard let key = Self.pathParameter("key", metadata), HubServer.isValidKey(key) else { throw HubError(.badRequest, "bad key") }
            // The store's word on revocation comes with the write (one round trip, not two).
            (scope.device, scope.serial) = try await DeviceIdentity.presented(headers: headers, channel: scope.channel, tls: tls, pathDevice: nil)
            try UploadHeaders.refuseContentRange(headers)
            if faults.shouldFail() { throw HubError(.injectedFault, "503 on purpose") }
            let document = DocumentBody(try await Self.collect(body, upTo: Self.maxDocumentBytes, tooLarge: "a document is at most 16 MiB"))
            if let announced = headers[.contentSHA256], announced != document.sha256 {
                throw HubError(.digestMismatch, "the body does not hash to \(announced)")
            }
            scope.body = document.bytes
            scope.document = document
        case Operations.GetOSUpdate.id, Operations.GetScreeningList.id:
            let named = Self.pathParameter("device", metadata)
            guard let named, HubServer.isValidDeviceID(named) else { throw HubError(.badRequest, "bad device id") }
            scope.device = try await DeviceIdentity.of(headers: headers, channel: scope.channel, tls: tls, store: store, pathDevice: named)
        default:
            scope.device = try await DeviceIdentity.of(headers: headers, channel: scope.channel, tls: tls, store: store)
        }
    }

    /// A path parameter, percent-decoded: a client may send `result%3A1` for `result:1`, and
    /// the key is the same. Undecodable text stays as it is (and fails the checks).
    static func pathParameter(_ name: String, _ metadata: ServerRequestMetadata) -> String? {
        guard let raw = metadata.pathParameters[name].map(String.init) else { return nil }
        return raw.removingPercentEncoding ?? raw
    }

    static func collect(_ body: HTTPBody?, upTo limit: Int, tooLarge: String) async throws(HubError) -> [UInt8] {
        guard let body else { return [] }
        if case .known(let length) = body.length, length > limit { throw HubError(.tooLarge, tooLarge) }
        do {
            return try await [UInt8](collecting: body, upTo: limit)
        } catch {
            throw HubError(.tooLarge, tooLarge)
        }
    }

    /// The hub's own reason to refuse `body` of `operationID`, when it has one.
    static func refusal(_ operationID: String, body: [UInt8]?) -> HubError? {
        guard let body else { return nil }
        if operationID == Operations.Heartbeat.id {
            do {
                _ = try DeviceHeartbeat.parse(body)
            } catch {
                return HubError(error.isTooLarge ? .tooLarge : .badRequest, error.description)
            }
        } else if let kind = documentKinds[operationID] ?? (operationID == Operations.Hello.id ? .hello : nil) {
            do {
                try DocumentSchema.of(kind).validate(body)
            } catch {
                return error
            }
        }
        return nil
    }

    /// Why the generated code could not read the request, in the API's words.
    static func misfit(_ error: ServerError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.isEmpty ? "the body" : codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
        }
        switch error.underlyingError as? DecodingError {
        case .keyNotFound(let key, let context)?:
            return "\(path(context.codingPath)) has no \"\(key.stringValue)\""
        case .valueNotFound(_, let context)?, .typeMismatch(_, let context)?:
            return "\(path(context.codingPath)) is not what docs/platform-api.yaml says it is (\(context.debugDescription))"
        case .dataCorrupted(let context)?:
            return context.codingPath.isEmpty && context.debugDescription.contains("JSON")
                ? "the body is not JSON" : "\(path(context.codingPath)): \(context.debugDescription)"
        default:
            return "the request does not fit docs/platform-api.yaml: \(error.causeDescription)"
        }
    }

    static func problem(_ error: HubError) -> (HTTPResponse, HTTPBody?) {
        let (status, bytes) = HubServer.problemParts(error)
        var response = HTTPResponse(status: status)
        response.headerFields[.contentType] = "application/json"
        return (response, HTTPBody(bytes))
    }
}
