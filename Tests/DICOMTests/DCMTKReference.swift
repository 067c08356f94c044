import FluoroboxTestSupport
import Foundation
@testable import DICOM

/// dcmtk, run by the tests as the reference decoder: its tools decompress to native pixel data
/// and `dcmdump +W` writes that pixel data as raw little-endian bytes, so the reference never
/// passes through Fluorobox's own reader.
enum DCMTKReference {
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/dcmdump")
    }

    static let skipMessage = "dcmtk is not installed (tools/install-deps installs it)"

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The raw pixel data of a file as dcmtk reads it, after decompressing with `tool`
    /// (dcmdjpeg, dcmdrle, dcmdjpls) when given.
    static func rawPixelBytes(of path: String, decompressWith tool: String? = nil) async throws -> [UInt8] {
        let folder = TemporaryDirectory("dcmtk")
        var input = path
        if let tool {
            let output = folder.file("native.dcm")
            let result = try await ProcessRunner.run("/usr/bin/\(tool)", [path, output])
            guard result.status == 0 else {
                throw Failure(description: "\(tool) failed on \(path): \(result.stderr)")
            }
            input = output
        }
        let dump = try await ProcessRunner.run("/usr/bin/dcmdump", ["+W", folder.path, input])
        guard dump.status == 0 else {
            throw Failure(description: "dcmdump +W failed on \(input): \(dump.stderr)")
        }
        let raws = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".raw") }
        guard raws.count == 1 else {
            throw Failure(description: "dcmdump +W wrote \(raws.count) raw files for \(input)")
        }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.file(raws[0]))))
    }

    /// Stored values of frame `frame` from dcmtk's raw bytes: the same Bits Stored / High Bit
    /// selection and sign extension the standard prescribes. Also says whether any sample had
    /// bits outside Bits Stored (then a masked comparison would hide a difference).
    static func storedValues(_ raw: [UInt8], pixels: ImagePixelDescription, frame: Int = 0) -> (values: [Int32], bitsOutside: Bool) {
        let count = pixels.pixelsPerFrame
        let start = frame * pixels.bytesPerFrame
        var words = [Int32](repeating: 0, count: count)
        for index in 0..<count {
            if pixels.bitsAllocated == 8 {
                words[index] = Int32(raw[start + index])
            } else {
                words[index] = Int32(raw[start + 2 * index]) | Int32(raw[start + 2 * index + 1]) << 8
            }
        }
        let shift = pixels.highBit + 1 - pixels.bitsStored
        let outside = words.contains { ($0 >> Int32(shift)) >> Int32(pixels.bitsStored) != 0 }
        return (PixelDataDecoder.stored(words, pixels: pixels, shift: shift), outside)
    }
}

/// The shared radiographs by folder and name.
enum Radiograph {
    static func path(_ relative: String) -> String {
        TestData.root + "/dicom/" + relative
    }

    static func read(_ relative: String) throws -> DICOMFile {
        try DICOMFile(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(relative)))))
    }

    /// Reads and decodes off the cooperative pool (see `cpuWork`): a radiograph takes a
    /// second or more to decode in a debug build.
    static func image(_ relative: String) async throws -> DICOMImage {
        try await cpuWork { try DICOMImage(file: read(relative)) }
    }
}
