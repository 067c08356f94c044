import ArgumentParser
import DICOM
import Foundation
import POSIXSupport

/// Bytes the lossless upload re-encoding saves over a folder of radiographs, next to dcmtk's
/// JPEG-LS encoder (dcmcjpls, lossless) on the same files in the same run.
struct UploadEncodingBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload-encoding",
        abstract: "Bytes saved by sync.losslessUploads over DICOM files, next to dcmcjpls (lossless JPEG-LS) on the same files."
    )

    @Option(help: "Folder of DICOM files (default: the shared radiographs beside the repository).")
    var folder = "../shared/testdata/dicom/radiography"

    @Option(help: "dcmtk's JPEG-LS encoder (the peer); skipped when absent.")
    var dcmcjpls = "/usr/bin/dcmcjpls"

    func run() async throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".dcm") }.sorted()
        guard !names.isEmpty else { throw ValidationError("no .dcm files in \(folder)") }
        let peer = FileManager.default.isExecutableFile(atPath: dcmcjpls)
        let scratch = NSTemporaryDirectory() + "fluorobox-upload-encoding-\(getpid())"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        print("file | source | bytes | sent as | bytes sent | saved | ms | dcmcjpls bytes | dcmcjpls ms")
        var totals = (original: 0, sent: 0, peerOriginal: 0, peerSent: 0, peerFiles: 0)
        for name in names {
            let path = folder + "/" + name
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let source = (try? DICOMFile(bytes: bytes).transferSyntax.description) ?? "unreadable"
            let started = ContinuousClock.now
            let outcome = LosslessRecoder.smallest(bytes)
            let took = ContinuousClock.now - started
            var sentAs = "as it is", sent = bytes.count
            if case .recoded(let recoded) = outcome {
                sentAs = recoded.encoding.rawValue
                sent = recoded.bytes.count
            }
            totals.original += bytes.count
            totals.sent += sent
            var peerColumns = "- | -"
            if peer {
                let output = scratch + "/" + name
                let peerStarted = ContinuousClock.now
                let status = try Self.run(dcmcjpls, [path, output])
                let peerTook = ContinuousClock.now - peerStarted
                if status == 0, let size = try? Posix.fileStatus(output).size {
                    peerColumns = "\(size) | \(Self.milliseconds(peerTook))"
                    totals.peerOriginal += bytes.count
                    totals.peerSent += Int(size)
                    totals.peerFiles += 1
                } else {
                    peerColumns = "refused (exit \(status)) | -"
                }
            }
            let saved = bytes.count - sent
            print("\(name) | \(source) | \(bytes.count) | \(sentAs) | \(sent) | \(saved) (\(Self.percent(saved, of: bytes.count))) | \(Self.milliseconds(took)) | \(peerColumns)")
        }
        let saved = totals.original - totals.sent
        print("total: \(names.count) files, \(totals.original) bytes, \(totals.sent) sent, \(saved) saved (\(Self.percent(saved, of: totals.original)))")
        if peer {
            print("dcmcjpls on the \(totals.peerFiles) files it encodes: \(totals.peerOriginal) -> \(totals.peerSent) bytes (\(Self.percent(totals.peerOriginal - totals.peerSent, of: totals.peerOriginal)) saved)")
        }
    }

    static func percent(_ part: Int, of whole: Int) -> String {
        whole == 0 ? "0%" : String(format: "%.1f%%", 100 * Double(part) / Double(whole))
    }

    static func milliseconds(_ duration: Duration) -> String {
        String(format: "%.0f", duration.inMilliseconds)
    }

    /// Runs a peer tool to its end (a benchmark: blocking is fine here, nothing else runs).
    static func run(_ tool: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
