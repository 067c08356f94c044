import Foundation
import PlatformAPIClient

/// The OS bundle the operator assigned to this device (`GET /v1/devices/{device}/os-update`).
public struct OSBundleOffer: Sendable, Hashable, Codable {
    public var file: String
    public var version: String
    public var size: Int64
    public var sha256: String

    public init(file: String, version: String, size: Int64, sha256: String) {
        self.file = file
        self.version = version
        self.size = size
        self.sha256 = sha256
    }
}

extension PlatformClient {
    /// The bundle assigned to this device, or nil when none is.
    public func osBundleOffer() async throws(SyncError) -> OSBundleOffer? {
        let what = "GET /v1/devices/\(settings.deviceID)/os-update"
        let device = settings.deviceID
        let output = try await call(what, deadline: .seconds(30)) { try await $0.getOSUpdate(path: .init(device: device)) }
        switch output {
        case .ok(let ok):
            switch ok.body {
            case .json(let bundle): return OSBundleOffer(file: bundle.file, version: bundle.version, size: bundle.size, sha256: bundle.sha256)
            }
        case .noContent: return nil
        case .badRequest(let problem): throw Self.error(status: 400, problem: problem, what: what)
        case .forbidden(let problem): throw Self.error(status: 403, problem: problem, what: what)
        case .serviceUnavailable(let problem): throw Self.error(status: 503, problem: problem, what: what)
        case .undocumented(let status, let payload): throw Self.error(status: status, body: await Self.bytes(of: payload), what: what)
        }
    }

    /// Downloads `offer` into `path`, resuming from a `.part` file beside it, as models are.
    public func downloadOSBundle(_ offer: OSBundleOffer, to path: String) async throws(SyncError) {
        guard offer.file.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x2F && $0 != 0x3F && $0 != 0x23 && $0 != 0x25 }) else {
            throw SyncError(.protocolViolation, "the platform names the bundle \"\(offer.file.prefix(64))\", not a file name")
        }
        try await download("/v1/os-bundles/\(offer.file)", size: offer.size, to: path)
    }
}
