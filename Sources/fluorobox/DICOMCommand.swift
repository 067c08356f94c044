import ArgumentParser
import DICOM
import Foundation

/// `fluorobox dicom …`: technicians' tools for DICOM files.
struct DICOMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dicom",
        abstract: "DICOM tools: list a file's elements, write its pixels as PGM, echo and send to a DICOM node.",
        subcommands: [DICOMDumpCommand.self, DICOMRenderCommand.self, DICOMEchoCommand.self, DICOMSendCommand.self]
    )
}

/// Reads a whole file as bytes, with the reason when it cannot.
private func readFile(_ path: String) throws -> [UInt8] {
    do {
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
        throw DICOMCommandFailure("\(path): cannot read the file (\(error.localizedDescription))")
    }
}

/// A failure printed as one line on stderr, exit status 1.
struct DICOMCommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

struct DICOMDumpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "List every element of a DICOM file (Part 10 or ACR-NEMA), like dcmdump.",
        discussion: "Nested sequences are indented, long values cut. Exits non-zero with the reason when the file cannot be read."
    )

    @Argument(help: "The DICOM file.")
    var file: String

    func run() async throws {
        let bytes = try readFile(file)
        let parsed: DICOMFile
        do {
            parsed = try DICOMFile(bytes: bytes)
        } catch {
            throw DICOMCommandFailure("\(file): \(error)")
        }
        FileHandle.standardOutput.write(Data(DICOMDump.text(of: parsed).utf8))
    }
}

struct DICOMRenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Write the decoded pixels of frame 1 as a binary PGM.",
        discussion: """
            The values written are the stored values after the Modality LUT or Rescale and before any VOI window; \
            MONOCHROME1 is not inverted. Maxval is 255 for 8-bit data, 65535 for more. Compare with dcmtk or pydicom. \
            Exits non-zero with the reason when the pixels cannot be decoded or written.
            """
    )

    @Argument(help: "The DICOM file.")
    var file: String

    @Option(name: .long, help: "The PGM file to write.")
    var out: String

    func run() async throws {
        let bytes = try readFile(file)
        let pgm: [UInt8]
        let image: DICOMImage
        do {
            let parsed = try DICOMFile(bytes: bytes)
            image = try DICOMImage(file: parsed, frames: [0])
            pgm = try image.pgm(frame: 0)
        } catch {
            throw DICOMCommandFailure("\(file): \(error)")
        }
        do {
            try Data(pgm).write(to: URL(fileURLWithPath: out))
        } catch {
            throw DICOMCommandFailure("\(out): cannot write (\(error.localizedDescription))")
        }
        let pixels = image.pixels
        print("wrote \(out): \(pixels.columns)x\(pixels.rows), frame 1 of \(image.frameCount), \(pixels.bitsStored) bits stored, \(image.transferSyntax)")
    }
}
