import Analysis
import DICOM
import Foundation
import Imaging
import POSIXSupport
import StudyStore

/// Turns a stored instance into something a browser shows: JPEG and PNG as they are, DICOM
/// decoded and windowed to an 8-bit JPEG no wider than the tablet needs.
enum StudyImageRenderer {
    struct Rendered: Sendable {
        var bytes: [UInt8]
        var contentType: String
    }

    static func render(path: String, format: BlobFormat, maximumSide: Int = 2048) throws -> Rendered {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        switch format {
        case .jpeg: return Rendered(bytes: bytes, contentType: "image/jpeg")
        case .png: return Rendered(bytes: bytes, contentType: "image/png")
        case .dicom:
            // A Secondary Capture overlay is colour JPEG inside DICOM: hand its codestream over as
            // is (without the fragment's pad byte, so it ends at EOI).
            if let jpeg = OverlaySecondaryCapture.overlayJPEG(fromPart10: bytes) { return Rendered(bytes: jpeg, contentType: "image/jpeg") }
            let file = try DICOMFile(bytes: bytes)
            let image = try DICOMImage(file: file, frames: [0]).presentation(frame: 0, outputBits: 8)
            let factor = max(1, (max(image.width, image.height) + maximumSide - 1) / maximumSide)
            let width = image.width / factor, height = image.height / factor
            var samples = [UInt8](repeating: 0, count: width * height)
            for y in 0..<height {
                for x in 0..<width {
                    samples[y * width + x] = UInt8(truncatingIfNeeded: min(255, image.samples[(y * factor) * image.width + x * factor]))
                }
            }
            return Rendered(bytes: try JPEGCodec.encodeGray8(samples, width: width, height: height, quality: 90), contentType: "image/jpeg")
        }
    }
}
