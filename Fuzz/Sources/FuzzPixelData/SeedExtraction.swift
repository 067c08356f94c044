#if canImport(Glibc)
import Glibc
#endif
@testable import DICOM
import Foundation

/// Writes seeds for the codec targets from DICOM files (frame 0 of each, sorted by codec) and
/// copies JPEG and PNG files, so that seeds come from test data read where it lies and are
/// never committed: OUT/{rle,jpeg-lossless,jpegls,j2k,jpeg,png}/<name>.
enum SeedExtraction {
    static func run(output: String, inputs: [String]) -> Int32 {
        var written: [String: Int] = [:]
        for path in inputs.flatMap(files) {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let bytes = [UInt8](data)
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
                write(bytes, kind: "jpeg", name: name, output: output, count: &written)
            } else if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) {
                write(bytes, kind: "png", name: name, output: output, count: &written)
            } else if let (kind, frame) = firstFrame(bytes) {
                write(frame, kind: kind, name: name, output: output, count: &written)
            }
        }
        print("extract-frames: " + written.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        return 0
    }

    private static func files(_ path: String) -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return [] }
        guard isFolder.boolValue else { return [path] }
        let names = (FileManager.default.subpaths(atPath: path) ?? []).sorted()
        return names.map { path + "/" + $0 }.filter { name in
            var folder: ObjCBool = false
            return FileManager.default.fileExists(atPath: name, isDirectory: &folder) && !folder.boolValue
        }
    }

    /// Frame 0 of encapsulated pixel data and the codec target it seeds; RLE frames carry the
    /// FuzzRLE prefix (Rows, Columns, 16-bit flag).
    private static func firstFrame(_ bytes: [UInt8]) -> (String, [UInt8])? {
        guard let file = try? DICOMFile(bytes: bytes), let element = file.dataSet[.pixelData],
              case .encapsulated(let encapsulated) = element.value,
              let pixels = try? ImagePixelDescription(dataSet: file.dataSet),
              let frame = try? encapsulated.frames(count: pixels.numberOfFrames).first else { return nil }
        let syntax = file.transferSyntax
        switch syntax {
        case .rleLossless:
            let prefix: [UInt8] = [
                UInt8(pixels.rows >> 8), UInt8(pixels.rows & 0xFF), UInt8(pixels.columns >> 8), UInt8(pixels.columns & 0xFF),
                pixels.bitsAllocated == 16 ? 1 : 0,
            ]
            return ("rle", prefix + frame)
        case .jpegLSLossless, .jpegLSNearLossless:
            return ("jpegls", frame)
        case _ where syntax.uid.hasPrefix("1.2.840.10008.1.2.4.9"):
            return ("j2k", frame)
        case _ where syntax.isJPEGProcess:
            switch (try? JPEGFrameHeader.read(frame))?.marker {
            case 0xC3: return ("jpeg-lossless", frame)
            case 0xF7: return ("jpegls", frame)
            case .some: return ("jpeg", frame)
            case nil: return nil
            }
        default:
            return nil
        }
    }

    private static func write(_ bytes: [UInt8], kind: String, name: String, output: String, count: inout [String: Int]) {
        let folder = output + "/" + kind
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: folder + "/" + name, contents: Data(bytes))
        count[kind, default: 0] += 1
    }
}
