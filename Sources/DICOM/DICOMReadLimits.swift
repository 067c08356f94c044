import Imaging

/// Hard limits the reader enforces against hostile or damaged input. Real radiographs stay far
/// inside them; a file beyond any of them is refused with a typed error instead of exhausting
/// the stack, memory or time.
public struct DICOMReadLimits: Sendable, Hashable {
    /// Sequences nested inside sequences (real data sets rarely go past 5).
    public var maximumSequenceDepth: Int
    /// Data elements, items and fragments counted over the whole data set.
    public var maximumElements: Int
    /// Bytes a deflated data set may inflate to (a 1 KB "zip bomb" must not fill memory).
    public var maximumInflatedBytes: Int
    /// Bytes of decoded pixel data: Rows × Columns × Samples × BitsAllocated/8 × Frames.
    public var maximumPixelBytes: Int
    /// Rows × Columns of one frame: what one decode allocates for (as Int32 samples, then the
    /// pipeline's Double values), so it follows the raster decoders' bound.
    public var maximumPixelsPerFrame: Int

    public init(
        maximumSequenceDepth: Int = 64, maximumElements: Int = 1 << 20,
        maximumInflatedBytes: Int = 1 << 30, maximumPixelBytes: Int = 1 << 30,
        maximumPixelsPerFrame: Int = GrayscaleImage.maximumPixels
    ) {
        self.maximumSequenceDepth = maximumSequenceDepth
        self.maximumElements = maximumElements
        self.maximumInflatedBytes = maximumInflatedBytes
        self.maximumPixelBytes = maximumPixelBytes
        self.maximumPixelsPerFrame = maximumPixelsPerFrame
    }

    public static let `default` = DICOMReadLimits()
}
