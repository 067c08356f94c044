/// A transfer syntax: how a data set's bytes are laid out (PS3.5 section 10, PS3.6 annex A).
public struct TransferSyntax: Hashable, Sendable, CustomStringConvertible {
    public let uid: String

    public init(uid: String) {
        self.uid = uid
    }

    public static let implicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2")
    public static let explicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2.1")
    public static let deflatedExplicitVRLittleEndian = TransferSyntax(uid: "1.2.840.10008.1.2.1.99")
    public static let explicitVRBigEndian = TransferSyntax(uid: "1.2.840.10008.1.2.2")
    public static let jpegBaseline = TransferSyntax(uid: "1.2.840.10008.1.2.4.50")
    public static let jpegExtended = TransferSyntax(uid: "1.2.840.10008.1.2.4.51")
    public static let jpegLossless = TransferSyntax(uid: "1.2.840.10008.1.2.4.57")
    public static let jpegLosslessSV1 = TransferSyntax(uid: "1.2.840.10008.1.2.4.70")
    public static let jpegLSLossless = TransferSyntax(uid: "1.2.840.10008.1.2.4.80")
    public static let jpegLSNearLossless = TransferSyntax(uid: "1.2.840.10008.1.2.4.81")
    public static let jpeg2000Lossless = TransferSyntax(uid: "1.2.840.10008.1.2.4.90")
    public static let jpeg2000 = TransferSyntax(uid: "1.2.840.10008.1.2.4.91")
    public static let rleLossless = TransferSyntax(uid: "1.2.840.10008.1.2.5")

    /// The syntaxes whose pixel data the box decodes (or will, as the DICOM reader lands): the
    /// listener accepts presentation contexts only for these, so a modality falls back to one
    /// of them. JPEG Extended (.51) is left out: its 12-bit form cannot be decoded by Debian's
    /// 8-bit libjpeg-turbo, and a context cannot say which bit depth will come.
    public static let decodable: [TransferSyntax] = [
        .explicitVRLittleEndian, .implicitVRLittleEndian, .deflatedExplicitVRLittleEndian, .explicitVRBigEndian,
        .jpegLosslessSV1, .jpegLossless, .jpegBaseline, .jpeg2000Lossless, .jpeg2000,
        .jpegLSLossless, .jpegLSNearLossless, .rleLossless,
    ]

    /// Every syntax except implicit VR little endian carries the VR in the stream.
    public var isExplicitVR: Bool { self != .implicitVRLittleEndian }

    public var isBigEndian: Bool { self == .explicitVRBigEndian }

    public var isDeflated: Bool { self == .deflatedExplicitVRLittleEndian }

    /// Pixel data is a sequence of fragments (JPEG, JPEG-LS, JPEG 2000, RLE).
    public var isEncapsulated: Bool {
        uid.hasPrefix("1.2.840.10008.1.2.4.") || self == .rleLossless
    }

    public var description: String {
        switch self {
        case .implicitVRLittleEndian: "Implicit VR Little Endian"
        case .explicitVRLittleEndian: "Explicit VR Little Endian"
        case .deflatedExplicitVRLittleEndian: "Deflated Explicit VR Little Endian"
        case .explicitVRBigEndian: "Explicit VR Big Endian"
        case .jpegBaseline: "JPEG Baseline (Process 1)"
        case .jpegExtended: "JPEG Extended (Process 2 & 4)"
        case .jpegLossless: "JPEG Lossless (Process 14)"
        case .jpegLosslessSV1: "JPEG Lossless SV1 (Process 14, Selection Value 1)"
        case .jpegLSLossless: "JPEG-LS Lossless"
        case .jpegLSNearLossless: "JPEG-LS Near-Lossless"
        case .jpeg2000Lossless: "JPEG 2000 Lossless"
        case .jpeg2000: "JPEG 2000"
        case .rleLossless: "RLE Lossless"
        default: uid
        }
    }
}
