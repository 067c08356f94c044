import POSIXSupport

/// Why `fluorobox os` refused or failed: every refusal happens before RAUC writes a slot.
public typealias OSUpdateError = CodedError<OSUpdateErrorCode>

public struct OSUpdateErrorCode: Hashable, Sendable, CustomStringConvertible {
    fileprivate enum Value: String, Hashable, Sendable {
        case notVerified = "the bundle is not signed by a key this box trusts, or is damaged"
        case older = "the bundle is older than the running system"
        case payload = "the bundle's contents differ from what its signature covers"
        case installFailed = "RAUC did not install the bundle"
        case unavailable = "RAUC, its configuration or the boot loader could not be used"
    }

    fileprivate let value: Value
    /// RAUC refused the signature (another key, a tampered signature or manifest, not a bundle).
    public static let notVerified = OSUpdateErrorCode(value: .notVerified)
    /// Its version is below the running one: a box never goes back by a bundle.
    public static let older = OSUpdateErrorCode(value: .older)
    /// The payload or its dm-verity hash tree is not what the signed root hash covers, or the
    /// file is cut short.
    public static let payload = OSUpdateErrorCode(value: .payload)
    /// RAUC refused or failed (another board's bundle: RAUC checks the compatible before it
    /// writes); the slot it was writing, if any, stays marked bad.
    public static let installFailed = OSUpdateErrorCode(value: .installFailed)
    public static let unavailable = OSUpdateErrorCode(value: .unavailable)
    public var description: String { value.rawValue }
}
