import DICOM
import Imaging

/// An image as the analysis reads it: the displayed grey values (MONOCHROME1 and the LUTs
/// already applied) and, for DICOM, the UIDs the report names.
public struct AnalysisInput: Sendable {
    public var image: GrayscaleImage
    public var studyInstanceUID: String?
    public var sopInstanceUID: String?

    public init(image: GrayscaleImage, studyInstanceUID: String? = nil, sopInstanceUID: String? = nil) {
        self.image = image
        self.studyInstanceUID = studyInstanceUID
        self.sopInstanceUID = sopInstanceUID
    }

    /// Decodes a stored object: a DICOM file (first frame), a JPEG or a PNG. Anything else, and any
    /// image the decoders refuse, is an unreadable-image error with the decoder's reason.
    public init(decoding bytes: [UInt8]) throws(AnalysisError) {
        switch ImageFileKind(sniffing: bytes.prefix(16)) {
        case .jpeg?:
            do {
                image = try JPEGCodec.decodeGray8(bytes)
            } catch {
                throw .unreadableImage("\(error)")
            }
        case .png?:
            do {
                image = try PNGDecoder.decodeGray(bytes)
            } catch {
                throw .unreadableImage("\(error)")
            }
        case nil:
            do {
                let file = try DICOMFile(bytes: bytes)
                let decoded = try DICOMImage(file: file, frames: [0])
                image = decoded.presentation(frame: 0, outputBits: 16)
                studyInstanceUID = file.dataSet.string(.studyInstanceUID)
                sopInstanceUID = file.dataSet.string(.sopInstanceUID)
            } catch {
                throw .unreadableImage("\(error)")
            }
        }
    }
}
