#if canImport(Glibc)
import Glibc
#endif
import Imaging

/// The pixels of a DICOM image, decoded: stored values per frame and the grayscale pipeline
/// (Modality LUT or Rescale, then VOI LUT or window, then MONOCHROME1 inversion) to a raster.
public struct DICOMImage: Sendable {
    public let pixels: ImagePixelDescription
    public let transferSyntax: TransferSyntax
    /// Frame numbers (0-based) that were decoded, in the order of ``frames``.
    public let frameIndices: [Int]
    /// Stored values of each decoded frame, row-major.
    public let frames: [[Int32]]
    public let modality: ModalityTransform
    public let voi: VOITransform
    /// Presentation LUT Shape (2050,0020) INVERSE: minimum values white. DX and CR images state it
    /// for every MONOCHROME1 image (PS3.3 C.8.11.6.1), where it repeats, not undoes, MONOCHROME1.
    public let presentationInverse: Bool

    /// Every frame of the image in the file, as the header counts them.
    public var frameCount: Int { pixels.numberOfFrames }

    /// Decodes the given frames (all when nil) of a file's image.
    public init(file: DICOMFile, frames requested: [Int]? = nil, limits: DICOMReadLimits = .default) throws(PixelDataError) {
        try self.init(dataSet: file.dataSet, transferSyntax: file.transferSyntax, frames: requested, limits: limits)
    }

    public init(dataSet: DataSet, transferSyntax: TransferSyntax, frames requested: [Int]? = nil, limits: DICOMReadLimits = .default) throws(PixelDataError) {
        let pixels = try ImagePixelDescription(dataSet: dataSet, limits: limits)
        let indices = requested ?? Array(0..<pixels.numberOfFrames)
        self.pixels = pixels
        self.transferSyntax = transferSyntax
        frameIndices = indices
        modality = try ModalityTransform(dataSet: dataSet, signed: pixels.isSigned)
        voi = try VOITransform(dataSet: dataSet, signed: pixels.isSigned)
        presentationInverse = dataSet.string(Tag(0x2050, 0x0020))?.uppercased() == "INVERSE"
        frames = try PixelDataDecoder.decode(dataSet, syntax: transferSyntax, pixels: pixels, frames: indices)
    }

    private func decoded(_ frame: Int) -> [Int32] {
        guard let position = frameIndices.firstIndex(of: frame) else {
            preconditionFailure("frame \(frame) was not decoded")
        }
        return frames[position]
    }

    /// Modality values (after the Modality LUT or Rescale) of a decoded frame.
    public func modalityValues(frame: Int = 0) -> [Double] {
        let transform = modality
        return decoded(frame).map { transform.apply($0) }
    }

    /// The frame as a display raster: VOI applied (or the given window instead), MONOCHROME1
    /// inverted so that higher values are always brighter, `outputBits` of 8 or 16.
    public func presentation(frame: Int = 0, outputBits: Int = 8, window: (center: Double, width: Double)? = nil) -> GrayscaleImage {
        precondition(outputBits == 8 || outputBits == 16)
        let values = modalityValues(frame: frame)
        let top = Double((1 << outputBits) - 1)
        var voi = self.voi
        if let window { voi = .window(center: window.center, width: window.width, function: .linear) }
        let map: (Double) -> Double
        switch voi {
        case .window(let center, let width, let function):
            switch function {
            case .linear:
                map = { x in
                    if x <= center - 0.5 - (width - 1) / 2 { return 0 }
                    if x > center - 0.5 + (width - 1) / 2 { return top }
                    return ((x - (center - 0.5)) / (width - 1) + 0.5) * top
                }
            case .linearExact:
                map = { x in
                    if x <= center - width / 2 { return 0 }
                    if x > center + width / 2 { return top }
                    return ((x - center) / width + 0.5) * top
                }
            case .sigmoid:
                map = { x in top / (1 + exp(-4 * (x - center) / width)) }
            }
        case .lookupTable(let table):
            let scale = top / Double((1 << table.bits) - 1)
            // Modality values are bounded when read (GrayscaleLimits); the clamp keeps the Int
            // conversion total whatever a caller's transform produced.
            map = { x in Double(table.apply(Int(min(max(x, -1e15), 1e15).rounded(.down)))) * scale }
        case .imageRange:
            let low = values.min() ?? 0, high = values.max() ?? 0
            let span = high - low
            map = { x in span > 0 ? (x - low) / span * top : 0 }
        }
        let invert = pixels.isMonochrome1 || presentationInverse
        let samples = values.map { value -> UInt16 in
            // Rounded before inverting, so MONOCHROME1 is the exact complement of MONOCHROME2.
            // A NaN (only from a caller's window) shows as black rather than trapping in UInt16().
            let mapped = map(value)
            let y = mapped.isNaN ? 0 : min(max(mapped, 0), top).rounded()
            return UInt16(invert ? top - y : y)
        }
        return GrayscaleImage(width: pixels.columns, height: pixels.rows, bitsStored: outputBits, samples: samples)
    }

    /// Binary PGM (P5) of a decoded frame's modality values, before any VOI and without
    /// MONOCHROME1 inversion, so a decode can be compared with dcmtk or pydicom. Maxval is 255
    /// for data of 8 bits or fewer, else 65535 (samples big endian, as PGM requires).
    public func pgm(frame: Int = 0) throws(PixelDataError) -> [UInt8] {
        let values = modalityValues(frame: frame).map { $0.rounded() }
        let low = values.min() ?? 0, high = values.max() ?? 0
        guard low >= 0, high <= 65_535, !values.contains(where: \.isNaN) else {
            throw PixelDataError(
                .notRepresentable,
                detail: "values after the Modality LUT/Rescale range from \(low) to \(high); PGM holds 0 to 65535"
            )
        }
        let outputBits: Int
        switch modality {
        case .lookupTable(let table): outputBits = table.bits
        default: outputBits = pixels.bitsStored
        }
        let maxval = outputBits <= 8 && high <= 255 ? 255 : 65_535
        var output = Array("P5\n\(pixels.columns) \(pixels.rows)\n\(maxval)\n".utf8)
        output.reserveCapacity(output.count + values.count * (maxval == 255 ? 1 : 2))
        for value in values {
            let sample = UInt16(value)
            if maxval == 255 {
                output.append(UInt8(sample))
            } else {
                output.append(UInt8(sample >> 8))
                output.append(UInt8(sample & 0xFF))
            }
        }
        return output
    }
}
