extension LosslessRecoder {
    /// An instance in Explicit VR Little Endian with native pixels: what goes to a receiver that
    /// refuses the syntax the instance is stored in.
    public struct Decompressed: Sendable {
        /// The data set without file meta information.
        public let dataSet: [UInt8]
        /// The stored syntax was lossy: these are the stored (already lossy) pixels, decoded
        /// without any further loss, not what the modality acquired.
        public let fromLossySyntax: Bool
        public let sourceSyntax: TransferSyntax
    }

    public enum DecompressionOutcome: Sendable {
        case decompressed(Decompressed)
        case refused(reason: String)
    }

    /// Syntaxes whose pixels the box decodes to exactly what is stored but which are lossy with
    /// respect to what was acquired.
    static let lossySyntaxes: Set<TransferSyntax> = [.jpegBaseline, .jpegExtended, .jpegLSNearLossless, .jpeg2000]

    /// The instance decoded to native pixels in Explicit VR Little Endian, never re-encoded
    /// lossily; read back before it is offered (same attributes, same decoded pixels).
    public static func explicitLittleEndian(_ bytes: [UInt8], limits: DICOMReadLimits = .default) -> DecompressionOutcome {
        let file: DICOMFile
        do {
            file = try DICOMFile(bytes: bytes, limits: limits)
        } catch {
            return .refused(reason: "not readable as DICOM: \(error)")
        }
        let dataSet = file.dataSet
        guard let sopClass = dataSet.string(.sopClassUID) ?? file.meta?.mediaStorageSOPClassUID,
              let sopInstance = dataSet.string(.sopInstanceUID) ?? file.meta?.mediaStorageSOPInstanceUID else {
            return .refused(reason: "no SOP Class or SOP Instance UID")
        }
        let body: ExplicitLittleEndianBody
        let pixelData: ExplicitLittleEndianBody.PixelData
        var marks: [Tag: [UInt8]] = [:]
        do {
            if file.transferSyntax.isEncapsulated {
                let element = try nativePixelData(file)
                pixelData = .element(element)
                marks = lossyCompressionMarks(file, nativeBytes: element.count - 12)
            } else {
                pixelData = .asIs
            }
            body = try ExplicitLittleEndianBody(file, setting: marks)
        } catch {
            return .refused(reason: error.reason)
        }
        let output = body.explicitBytes(pixelData: pixelData)
        let meta = Part10Writer.fileMetaHeader(sopClassUID: sopClass, sopInstanceUID: sopInstance, transferSyntax: .explicitVRLittleEndian)
        if let difference = difference(between: file, and: meta + output, limits: limits, ignoring: Set(marks.keys)) {
            return .refused(reason: "the Explicit VR Little Endian copy did not read back the same (\(difference))")
        }
        return .decompressed(Decompressed(
            dataSet: output, fromLossySyntax: lossySyntaxes.contains(file.transferSyntax), sourceSyntax: file.transferSyntax
        ))
    }

    /// The lossy compression methods (PS3.3 C.7.6.1.1.5.1) of the syntaxes in ``lossySyntaxes``.
    static let lossyMethods: [TransferSyntax: String] = [
        .jpegBaseline: "ISO_10918_1", .jpegExtended: "ISO_10918_1", .jpegLSNearLossless: "ISO_14495_1", .jpeg2000: "ISO_15444_1",
    ]

    /// What a copy decoded from a lossy syntax must say of itself (PS3.3 C.7.6.1.1.5): Lossy Image
    /// Compression "01", which once set is never reset, and where the file does not describe its
    /// lossy steps already, the Ratio (measured: native bytes over the compressed bit stream) and
    /// the Method of this encoding. Nothing for a lossless syntax.
    static func lossyCompressionMarks(_ file: DICOMFile, nativeBytes: Int) -> [Tag: [UInt8]] {
        guard let method = lossyMethods[file.transferSyntax] else { return [:] }
        let encoder = DataElementEncoder.explicitLittleEndian
        var marks: [Tag: [UInt8]] = [.lossyImageCompression: encoder.encode(.lossyImageCompression, .CS, text: "01")]
        let dataSet = file.dataSet
        guard dataSet[.lossyImageCompressionRatio] == nil, dataSet[.lossyImageCompressionMethod] == nil,
              case .encapsulated(let pixels)? = dataSet[.pixelData]?.value else { return marks }
        let compressed = pixels.fragments.reduce(0) { $0 + $1.count }
        if compressed > 0, nativeBytes > 0 {
            let ratio = (Double(nativeBytes) / Double(compressed) * 100).rounded() / 100
            marks[.lossyImageCompressionRatio] = encoder.encode(.lossyImageCompressionRatio, .DS, text: "\(ratio)")
        }
        marks[.lossyImageCompressionMethod] = encoder.encode(.lossyImageCompressionMethod, .CS, text: method)
        return marks
    }

    /// The decoded frames as one native Pixel Data element (OW for 16 bits, OB for 8).
    static func nativePixelData(_ file: DICOMFile) throws(Refusal) -> [UInt8] {
        // A colour JPEG decodes to RGB while its header says YBR: grayscale only, as the header
        // is copied as it is.
        let image = try grayscaleImage(file)
        let pixels = image.pixels
        var value: [UInt8] = []
        switch pixels.bitsAllocated {
        case 8:
            value.reserveCapacity(pixels.pixelsPerFrame * image.frames.count)
            for frame in image.frames { value += frame.map { UInt8(truncatingIfNeeded: $0) } }
            return DataElementEncoder.explicitLittleEndian.encode(.pixelData, .OB, value: value)
        case 16:
            value.reserveCapacity(2 * pixels.pixelsPerFrame * image.frames.count)
            for frame in image.frames {
                for sample in frame {
                    value.append(UInt8(truncatingIfNeeded: sample))
                    value.append(UInt8(truncatingIfNeeded: sample >> 8))
                }
            }
            return DataElementEncoder.explicitLittleEndian.encode(.pixelData, .OW, value: value)
        default:
            throw Refusal("Bits Allocated \(pixels.bitsAllocated) (8 or 16 only)")
        }
    }
}
