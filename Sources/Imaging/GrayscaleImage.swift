/// A single-channel raster of unsigned samples, row-major, 1 to 16 significant bits.
public struct GrayscaleImage: Sendable, Hashable {
    /// The most pixels any decoder produces in one raster: 50 M is above a stitched full-leg
    /// film (about 3,000 × 12,000) and any single detector (4,300² is 18.5 M), and keeps one decode
    /// (samples, then the Double values the pipeline works on) well under a gigabyte. Decoders
    /// compare what a file declares with this before they allocate.
    public static let maximumPixels = 50_000_000

    public let width: Int
    public let height: Int
    /// Significant bits per sample: the largest value is (1 << bitsStored) - 1.
    public let bitsStored: Int
    public var samples: [UInt16]

    public init(width: Int, height: Int, bitsStored: Int, samples: [UInt16]) {
        precondition(samples.count == width * height, "sample count must be width x height")
        precondition((1...16).contains(bitsStored))
        self.width = width
        self.height = height
        self.bitsStored = bitsStored
        self.samples = samples
    }

    public var maximumValue: UInt16 { UInt16((1 << bitsStored) - 1) }

    public subscript(x: Int, y: Int) -> UInt16 {
        get { samples[y * width + x] }
        set { samples[y * width + x] = newValue }
    }

    /// Samples as little-endian 16-bit words, the layout of DICOM OW pixel data.
    public var littleEndianBytes: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: samples.count * 2)
        for (index, sample) in samples.enumerated() {
            bytes[2 * index] = UInt8(sample & 0xFF)
            bytes[2 * index + 1] = UInt8(sample >> 8)
        }
        return bytes
    }
}
