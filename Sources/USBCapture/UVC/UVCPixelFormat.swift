/// The pixel formats the box can turn into grayscale rasters.
public enum UVCPixelFormat: Sendable, Hashable, CustomStringConvertible {
    /// Motion JPEG: each frame a JPEG (often without Huffman tables; libjpeg-turbo supplies the
    /// standard ones).
    case mjpeg
    /// Uncompressed 4:2:2 Y'CbCr, Y0 U Y1 V; the box keeps the luma.
    case yuy2
    /// Uncompressed 8-bit luma (GUIDs Y800, "Y8  ", GREY, D3DFMT L8).
    case grey
    /// Uncompressed 16-bit little-endian luma (GUIDs "Y16 ", D3DFMT L16).
    case y16
    /// Something else (NV12, H.264 …): listed, never chosen.
    case unsupported(String)

    /// The name used in configuration (`usb.formats`) and listings.
    public var name: String {
        switch self {
        case .mjpeg: "mjpeg"
        case .yuy2: "yuy2"
        case .grey: "grey"
        case .y16: "y16"
        case .unsupported(let name): name
        }
    }

    public var description: String { name }

    public var isSupported: Bool {
        if case .unsupported = self { return false }
        return true
    }

    /// Bytes per pixel of an uncompressed frame; nil for MJPEG.
    public var bytesPerPixel: Int? {
        switch self {
        case .yuy2, .y16: 2
        case .grey: 1
        case .mjpeg, .unsupported: nil
        }
    }

    /// Reads the GUID of an uncompressed format descriptor (UVC 1.5 uncompressed payload
    /// specification, table 2-1, plus the grey formats Linux's uvcvideo knows).
    init(uncompressedGUID guid: [UInt8]) {
        let tail: [UInt8] = [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]
        guard guid.count == 16, Array(guid[4...]) == tail else {
            self = .unsupported("guid " + guid.map { String($0, radix: 16) }.joined())
            return
        }
        let fourCC = Array(guid[0..<4])
        switch fourCC {
        case Array("YUY2".utf8): self = .yuy2
        case Array("Y800".utf8), Array("Y8  ".utf8), Array("GREY".utf8), [0x32, 0, 0, 0]: self = .grey
        case Array("Y16 ".utf8), [0x51, 0, 0, 0]: self = .y16
        default:
            let printable = fourCC.allSatisfy { (0x20...0x7E).contains($0) }
            self = .unsupported(printable ? String(decoding: fourCC, as: UTF8.self).trimmingCharacters(in: " ") : "guid " + fourCC.map { String($0, radix: 16) }.joined())
        }
    }

    /// Parses a configuration word: mjpeg, yuy2, grey (or y8, y800), y16.
    public init?(configurationName: String) {
        switch configurationName.lowercased() {
        case "mjpeg", "mjpg", "jpeg": self = .mjpeg
        case "yuy2", "yuyv": self = .yuy2
        case "grey", "gray", "y8", "y800": self = .grey
        case "y16": self = .y16
        default: return nil
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var text = Substring(self)
        while text.last == set { text = text.dropLast() }
        while text.first == set { text = text.dropFirst() }
        return String(text)
    }
}
