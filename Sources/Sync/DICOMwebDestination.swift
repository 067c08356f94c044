import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import StudyStore

/// A PACS reached by DICOMweb STOW-RS (PS3.18 10.5): each DICOM instance is POSTed to
/// `{base}/studies` as multipart/related; type="application/dicom".
public struct DICOMwebDestination: SyncDestination {
    let http: HTTPClient
    let baseURL: String
    let settings: SyncSettings
    let counters: SyncCounters
    let logger: Logger

    public var destination: Destination { .dicomweb }
    public var kinds: Set<OutboxKind> { [.instance] }

    /// `baseURL`: the DICOMweb root, e.g. http://pacs:8042/dicom-web.
    public init(baseURL: String, settings: SyncSettings, counters: SyncCounters, logger: Logger) throws(SyncError) {
        guard let url = URL(string: baseURL), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw SyncError(.configuration, "sync.dicomwebURL \"\(baseURL)\" is not an http(s) URL")
        }
        var configuration = HTTPClient.Configuration(
            timeout: .init(
                connect: .milliseconds(Int64(settings.connectTimeoutSeconds * 1000)),
                read: .milliseconds(Int64(settings.readTimeoutSeconds * 1000)),
                write: .milliseconds(Int64(settings.readTimeoutSeconds * 1000))
            )
        )
        if url.scheme == "https", let tls = settings.tls {
            configuration.tlsConfiguration = try SyncTLS.clientConfiguration(tls)
        }
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.settings = settings
        self.counters = counters
        self.logger = logger
    }

    public func deliver(_ claim: OutboxClaim) async throws(SyncError) -> DeliveryOutcome {
        guard case .blob(let blob) = claim.payload else {
            if case .unavailable(let reason) = claim.payload { return .refused(reason: reason) }
            return .refused(reason: "STOW-RS carries DICOM instances only, not \(claim.item.kind)")
        }
        guard blob.format == .dicom else {
            return .refused(reason: "the instance is \(blob.format.rawValue), not DICOM; STOW-RS takes DICOM only")
        }
        let bytes = try await PlatformClient.read(blob: blob, offset: 0, count: Int(blob.size))
        let boundary = "fluorobox-" + String(blob.sha256.prefix(32))
        var body = ByteBuffer()
        body.writeString("--\(boundary)\r\nContent-Type: application/dicom\r\n\r\n")
        body.writeBytes(bytes)
        body.writeString("\r\n--\(boundary)--\r\n")
        var request = HTTPClientRequest(url: baseURL + "/studies")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: #"multipart/related; type="application/dicom"; boundary=\#(boundary)"#)
        request.headers.add(name: "Accept", value: "application/dicom+json")
        let length = body.readableBytes
        request.body = .bytes(body)
        counters.update {
            $0.requests += 1
            $0.bodyBytesSent += Int64(length)
        }
        let status: Int
        let reply: [UInt8]
        do {
            let response = try await http.execute(request, timeout: .seconds(Int64(max(120, settings.readTimeoutSeconds * 4))), logger: logger)
            status = Int(response.status.code)
            reply = Array(buffer: try await response.body.collect(upTo: 4 << 20))
        } catch {
            throw SyncError(.unreachable, "POST \(baseURL)/studies: \(error)")
        }
        let failure = Self.failureReason(reply)
        switch status {
        case 200 where failure == nil:
            return .delivered(fresh: true)
        case 200, 202, 409:
            // Stored in part or refused: the PACS says why in FailedSOPSequence.
            return .refused(reason: "STOW-RS HTTP \(status): \(failure ?? String(decoding: reply.prefix(300), as: UTF8.self))")
        case 400, 413, 415:
            return .refused(reason: "STOW-RS HTTP \(status): \(String(decoding: reply.prefix(300), as: UTF8.self))")
        default:
            if status >= 500 { throw SyncError(.serverError, "STOW-RS HTTP \(status)") }
            throw SyncError(.protocolViolation, "STOW-RS answered HTTP \(status)")
        }
    }

    /// The reason in a STOW-RS response's Failed SOP Sequence (0008,1198), if any.
    static func failureReason(_ reply: [UInt8]) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(reply)) as? [String: Any],
              let failed = object["00081198"] as? [String: Any],
              let items = failed["Value"] as? [[String: Any]], let first = items.first
        else { return nil }
        let reason = ((first["00081197"] as? [String: Any])?["Value"] as? [Any])?.first
        return "failed SOP instance, Failure Reason \(reason.map { "\($0)" } ?? "unknown")"
    }

    public func probe() async -> Bool {
        var request = HTTPClientRequest(url: baseURL + "/studies?limit=1")
        request.method = .GET
        guard let response = try? await http.execute(request, timeout: .seconds(2)) else { return false }
        _ = try? await response.body.collect(upTo: 1 << 20)
        return response.status.code < 500
    }

    public func shutdown() async {
        try? await http.shutdown()
    }
}
