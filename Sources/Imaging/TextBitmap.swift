/// One line of text as FreeType drew it: anti-aliased coverage (0 nothing, 255 full ink),
/// row-major, `width` × `height`, with the baseline `baseline` rows from the top.
public struct TextBitmap: Sendable, Hashable {
    public let width: Int
    public let height: Int
    public let baseline: Int
    public let coverage: [UInt8]

    public init(width: Int, height: Int, baseline: Int, coverage: [UInt8]) {
        precondition(coverage.count == width * height, "coverage must hold width × height values")
        self.width = width
        self.height = height
        self.baseline = baseline
        self.coverage = coverage
    }

    /// The coverage at (x, y); 0 outside the bitmap.
    public subscript(x: Int, y: Int) -> UInt8 {
        guard x >= 0, x < width, y >= 0, y < height else { return 0 }
        return coverage[y * width + x]
    }
}
