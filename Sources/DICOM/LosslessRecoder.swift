import Imaging

/// An instance re-encoded for a narrow link without losing a bit: the pixels as lossless JPEG-LS
/// (CharLS), or the whole data set deflated, whichever is smaller, and only when it is smaller
/// than the instance as it is.
///
/// A van on 2 Mbit/s spends half a minute per 8 MB radiograph; a native radiograph is commonly
/// half that size in JPEG-LS. The copy is read back before it is offered: every attribute must
/// hold the same bytes and every decoded pixel the same value, or the instance goes as it is.
/// The same input always gives the same bytes (resumable uploads rely on it).
public enum LosslessRecoder {
    public enum Encoding: String, Sendable, Hashable, CaseIterable {
        case jpegLS = "jpeg-ls-lossless"
        case deflate
    }

    public struct Recoded: Sendable {
        public let bytes: [UInt8]
        public let encoding: Encoding
        public var transferSyntax: TransferSyntax {
            switch encoding {
            case .jpegLS: .jpegLSLossless
            case .deflate: .deflatedExplicitVRLittleEndian
            }
        }
    }

    public enum Outcome: Sendable {
        case recoded(Recoded)
        /// Sent as it is, and why (already compressed lossily, nothing smaller, not readable…).
        case original(reason: String)
    }

    /// Syntaxes whose decoded pixels are exactly what was acquired: only these are re-encoded.
    static let losslessSources: Set<TransferSyntax> = [
        .implicitVRLittleEndian, .explicitVRLittleEndian, .deflatedExplicitVRLittleEndian,
        .jpegLossless, .jpegLosslessSV1, .jpeg2000Lossless, .rleLossless,
    ]

    /// The smallest lossless re-encoding of a DICOM file, checked by reading it back.
    public static func smallest(_ bytes: [UInt8], limits: DICOMReadLimits = .default) -> Outcome {
        let file: DICOMFile
        do {
            file = try DICOMFile(bytes: bytes, limits: limits)
        } catch {
            return .original(reason: "not readable as DICOM: \(error)")
        }
        let syntax = file.transferSyntax
        guard losslessSources.contains(syntax) else {
            return .original(reason: "\(syntax) is \(syntax == .jpegLSLossless ? "JPEG-LS already" : "not a lossless encoding this box re-encodes")")
        }
        let dataSet = file.dataSet
        guard let sopClass = dataSet.string(.sopClassUID) ?? file.meta?.mediaStorageSOPClassUID,
              let sopInstance = dataSet.string(.sopInstanceUID) ?? file.meta?.mediaStorageSOPInstanceUID else {
            return .original(reason: "no SOP Class or SOP Instance UID to write a file meta group for")
        }
        let body: ExplicitLittleEndianBody
        do {
            body = try ExplicitLittleEndianBody(file)
        } catch {
            return .original(reason: error.reason)
        }
        var candidates: [Recoded] = []
        var notes: [String] = []
        do {
            let frames = try jpegLSFrames(file)
            let output = Part10Writer.fileMetaHeader(sopClassUID: sopClass, sopInstanceUID: sopInstance, transferSyntax: .jpegLSLossless)
                + body.explicitBytes(pixelData: .encapsulated(frames))
            candidates.append(Recoded(bytes: output, encoding: .jpegLS))
        } catch {
            notes.append("JPEG-LS: \(error.reason)")
        }
        if !syntax.isEncapsulated, !syntax.isDeflated {
            if let deflated = Zlib.deflateRaw(body.explicitBytes(pixelData: .asIs)) {
                let output = Part10Writer.fileMetaHeader(sopClassUID: sopClass, sopInstanceUID: sopInstance, transferSyntax: .deflatedExplicitVRLittleEndian)
                    + deflated
                candidates.append(Recoded(bytes: output, encoding: .deflate))
            } else {
                notes.append("deflate: zlib could not start")
            }
        }
        guard let best = candidates.min(by: { $0.bytes.count < $1.bytes.count }) else {
            return .original(reason: notes.joined(separator: "; "))
        }
        guard best.bytes.count < bytes.count else {
            return .original(reason: "no lossless encoding is smaller than the \(bytes.count) bytes as they are (\(best.encoding.rawValue): \(best.bytes.count))")
        }
        if let difference = difference(between: file, and: best.bytes, limits: limits) {
            return .original(reason: "the \(best.encoding.rawValue) copy did not read back the same (\(difference)); sent as it is")
        }
        return .recoded(best)
    }

    struct Refusal: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// One lossless JPEG-LS codestream per frame, or why this image cannot be one.
    static func jpegLSFrames(_ file: DICOMFile) throws(Refusal) -> [[UInt8]] {
        let image = try grayscaleImage(file)
        let pixels = image.pixels
        guard !pixels.isSigned else { throw Refusal("signed pixels (JPEG-LS carries them ambiguously between readers)") }
        guard pixels.highBit == pixels.bitsStored - 1, (2...16).contains(pixels.bitsStored) else {
            throw Refusal("Bits Stored \(pixels.bitsStored) with High Bit \(pixels.highBit)")
        }
        if !file.transferSyntax.isEncapsulated, let raw = nativeSamples(file, pixels: pixels), raw != image.frames.flatMap({ $0 }) {
            // Bits above Bits Stored hold something (old overlay planes): keep them as they are.
            throw Refusal("the Pixel Data has bits set above Bits Stored")
        }
        var frames: [[UInt8]] = []
        for frame in image.frames {
            do {
                frames.append(try JPEGLSCodec.encodeLossless(frame, width: pixels.columns, height: pixels.rows, bitsPerSample: pixels.bitsStored))
            } catch {
                throw Refusal("CharLS: \(error)")
            }
        }
        return frames
    }

    /// The file's image decoded, when it has one sample per pixel.
    static func grayscaleImage(_ file: DICOMFile) throws(Refusal) -> DICOMImage {
        guard file.dataSet[.pixelData] != nil else { throw Refusal("no Pixel Data") }
        let image: DICOMImage
        do {
            image = try DICOMImage(file: file)
        } catch {
            throw Refusal("the pixels do not decode: \(error)")
        }
        guard image.pixels.samplesPerPixel == 1 else { throw Refusal("\(image.pixels.samplesPerPixel) samples per pixel (grayscale only)") }
        return image
    }

    /// The native Pixel Data's samples as stored, unmasked (little endian, 8 or 16 bits).
    static func nativeSamples(_ file: DICOMFile, pixels: ImagePixelDescription) -> [Int32]? {
        guard let bytes = file.dataSet[.pixelData]?.bytes else { return nil }
        let count = pixels.pixelsPerFrame * pixels.numberOfFrames
        switch pixels.bitsAllocated {
        case 8:
            guard bytes.count >= count else { return nil }
            return bytes.prefix(count).map { Int32($0) }
        case 16:
            guard bytes.count >= 2 * count else { return nil }
            let start = bytes.startIndex
            return (0..<count).map { Int32(bytes[start + 2 * $0]) | Int32(bytes[start + 2 * $0 + 1]) << 8 }
        default:
            return nil
        }
    }

    /// What differs between the original and the re-encoded copy (attributes, then pixels), or nil.
    /// `ignoring`: top-level attributes the copy sets on purpose.
    static func difference(between original: DICOMFile, and copy: [UInt8], limits: DICOMReadLimits, ignoring: Set<Tag> = []) -> String? {
        let reread: DICOMFile
        do {
            reread = try DICOMFile(bytes: copy, limits: limits)
        } catch {
            return "unreadable: \(error)"
        }
        let ignored = Set(ignoring.map { "\($0)" })
        let before = attributes(original.dataSet).filter { !ignored.contains($0.key) }
        let after = attributes(reread.dataSet).filter { !ignored.contains($0.key) }
        if before != after {
            let changed = Set(before.keys).symmetricDifference(after.keys).union(before.keys.filter { before[$0] != after[$0] })
            return "attributes differ: \(changed.sorted().prefix(5).joined(separator: ", "))"
        }
        guard original.dataSet[.pixelData] != nil else { return nil }
        do {
            let first = try DICOMImage(file: original, limits: limits), second = try DICOMImage(file: reread, limits: limits)
            if first.pixels != second.pixels { return "the pixel description differs" }
            if first.frames != second.frames { return "decoded pixels differ" }
        } catch {
            return "pixels do not decode: \(error)"
        }
        return nil
    }

    /// Every attribute's value bytes by path (sequence items numbered), without group lengths
    /// (dropped on re-encoding) and without the top-level Pixel Data (compared decoded).
    static func attributes(_ dataSet: DataSet, path: String = "") -> [String: [UInt8]] {
        var output: [String: [UInt8]] = [:]
        for element in dataSet.elements where element.tag.element != 0x0000 {
            let name = path + "\(element.tag)"
            if path.isEmpty, element.tag == .pixelData { continue }
            switch element.value {
            case .bytes(let bytes):
                output[name] = Array(bytes)
            case .sequence(let items):
                output[name] = Array("items \(items.count)".utf8)
                for (index, item) in items.enumerated() {
                    output.merge(attributes(item, path: name + "[\(index)]"), uniquingKeysWith: { first, _ in first })
                }
            case .encapsulated(let pixels):
                output[name] = pixels.fragments.flatMap { Array($0) }
            }
        }
        return output
    }
}
