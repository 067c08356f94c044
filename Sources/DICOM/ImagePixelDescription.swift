/// The Image Pixel module (PS3.3 C.7.6.3) of a data set, checked: what the pixel data must hold.
public struct ImagePixelDescription: Sendable, Hashable {
    public let rows: Int
    public let columns: Int
    public let samplesPerPixel: Int
    public let photometricInterpretation: String
    public let bitsAllocated: Int
    public let bitsStored: Int
    public let highBit: Int
    /// Pixel Representation 1: two's complement samples.
    public let isSigned: Bool
    /// Number of Frames, 1 when absent.
    public let numberOfFrames: Int

    public var isMonochrome1: Bool { photometricInterpretation == "MONOCHROME1" }
    public var pixelsPerFrame: Int { rows * columns }

    /// Bytes of one native (uncompressed) frame.
    public var bytesPerFrame: Int { rows * columns * samplesPerPixel * bitsAllocated / 8 }

    public init(
        rows: Int, columns: Int, samplesPerPixel: Int = 1, photometricInterpretation: String = "MONOCHROME2",
        bitsAllocated: Int, bitsStored: Int, highBit: Int, isSigned: Bool, numberOfFrames: Int = 1
    ) {
        self.rows = rows
        self.columns = columns
        self.samplesPerPixel = samplesPerPixel
        self.photometricInterpretation = photometricInterpretation
        self.bitsAllocated = bitsAllocated
        self.bitsStored = bitsStored
        self.highBit = highBit
        self.isSigned = isSigned
        self.numberOfFrames = numberOfFrames
    }

    /// Reads and checks the module. Rows × Columns × Samples × BitsAllocated × Frames is computed
    /// with overflow checks and held to `limits.maximumPixelBytes`.
    public init(dataSet: DataSet, limits: DICOMReadLimits = .default) throws(PixelDataError) {
        func optional(_ tag: Tag) throws(PixelDataError) -> Int? {
            do { return try dataSet.integer(tag) } catch { throw PixelDataError(attribute: error) }
        }
        func required(_ tag: Tag) throws(PixelDataError) -> Int {
            guard let value = try optional(tag) else {
                throw PixelDataError(.badImageAttribute, detail: "\(tag) \(DataDictionary.keyword(for: tag) ?? "") is missing")
            }
            return value
        }
        guard dataSet.contains(.pixelData) else { throw PixelDataError(.noPixelData) }
        rows = try required(.rows)
        columns = try required(.columns)
        bitsAllocated = try required(.bitsAllocated)
        bitsStored = try optional(.bitsStored) ?? bitsAllocated
        highBit = try optional(.highBit) ?? (bitsStored - 1)
        isSigned = (try optional(.pixelRepresentation) ?? 0) == 1
        samplesPerPixel = try optional(.samplesPerPixel) ?? 1
        numberOfFrames = try optional(.numberOfFrames) ?? 1
        photometricInterpretation = dataSet.string(.photometricInterpretation)?.uppercased() ?? "MONOCHROME2"

        guard rows > 0, columns > 0, rows <= 65_535, columns <= 65_535 else {
            throw PixelDataError(.badImageAttribute, detail: "image size \(columns)x\(rows)")
        }
        guard rows * columns <= limits.maximumPixelsPerFrame else {
            throw PixelDataError(.imageTooLarge, detail: "\(columns)x\(rows) is more than \(limits.maximumPixelsPerFrame) pixels a frame")
        }
        guard numberOfFrames >= 1 else {
            throw PixelDataError(.badImageAttribute, detail: "Number of Frames is \(numberOfFrames)")
        }
        guard samplesPerPixel == 1, photometricInterpretation.hasPrefix("MONOCHROME") else {
            throw PixelDataError(
                .unsupportedPixelFormat,
                detail: "\(samplesPerPixel) sample(s) per pixel, \(photometricInterpretation): a colour image, not a grayscale radiograph"
            )
        }
        guard bitsAllocated == 8 || bitsAllocated == 16 else {
            throw PixelDataError(.unsupportedPixelFormat, detail: "Bits Allocated \(bitsAllocated) (the box reads 8 and 16)")
        }
        guard (1...bitsAllocated).contains(bitsStored), highBit >= bitsStored - 1, highBit < bitsAllocated else {
            throw PixelDataError(.badImageAttribute, detail: "Bits Stored \(bitsStored), High Bit \(highBit) with Bits Allocated \(bitsAllocated)")
        }
        // Overflow-checked: hostile headers (65535 × 65535 × 16 bits × 2^31 frames) must not wrap.
        var total = rows
        for factor in [columns, samplesPerPixel, bitsAllocated / 8, numberOfFrames] {
            let (product, overflow) = total.multipliedReportingOverflow(by: factor)
            guard !overflow, product <= limits.maximumPixelBytes else {
                throw PixelDataError(
                    .imageTooLarge,
                    detail: "\(columns)x\(rows), \(bitsAllocated) bits, \(numberOfFrames) frame(s) is more than \(limits.maximumPixelBytes) bytes"
                )
            }
            total = product
        }
    }
}

extension ImagePixelDescription {
    /// Compares what a codestream's header declares with Columns, Rows and Bits Allocated. Every
    /// decoder calls it before it allocates for the frame, so a codestream cannot size its own
    /// buffers past what the (already bounded) image attributes allow.
    func checkCodestream(_ codec: String, width: Int, height: Int, precision: Int) throws(PixelDataError) {
        guard width == columns, height == rows else {
            throw PixelDataError(
                .damagedCompressedData,
                detail: "the \(codec) codestream is \(width)x\(height), Rows and Columns say \(columns)x\(rows)"
            )
        }
        guard (1...bitsAllocated).contains(precision) else {
            throw PixelDataError(
                .damagedCompressedData,
                detail: "the \(codec) codestream has \(precision)-bit samples, Bits Allocated is \(bitsAllocated)"
            )
        }
    }
}
