/// Raster file formats recognised by their leading bytes, never by file name.
public enum ImageFileKind: String, Sendable, Hashable, Codable {
    case jpeg
    case png

    /// The kind whose signature `prefix` starts with, if any.
    public init?(sniffing prefix: some Collection<UInt8>) {
        let head = Array(prefix.prefix(8))
        if head.starts(with: [0xFF, 0xD8, 0xFF]) {
            self = .jpeg
        } else if head == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] {
            self = .png
        } else {
            return nil
        }
    }
}

/// Size and sample layout of a raster file, checked for completeness.
public struct RasterFileInfo: Sendable, Hashable, Codable {
    public var kind: ImageFileKind
    public var width: Int
    public var height: Int
    public var bitDepth: Int
    public var channels: Int

    /// Validates a whole JPEG or PNG file and describes it. A truncated or corrupt file is an
    /// error so that a half-copied file from a stick is not taken for an image.
    public init(validating bytes: [UInt8]) throws(ImagingError) {
        switch ImageFileKind(sniffing: bytes) {
        case .png: self = try PNGStructure.validate(bytes)
        case .jpeg: self = try JPEGCodec.validate(bytes)
        case nil: throw ImagingError(.unsupported, detail: "neither a JPEG nor a PNG signature")
        }
    }

    public init(kind: ImageFileKind, width: Int, height: Int, bitDepth: Int, channels: Int) {
        self.kind = kind
        self.width = width
        self.height = height
        self.bitDepth = bitDepth
        self.channels = channels
    }
}
