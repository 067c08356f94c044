import Appliance
import DICOM
import DICOMNetwork
import FluoroboxTestSupport
import Foundation
import StudyStore
import Testing

/// Real peers started by the tests on loopback: dcmtk's echoscu, storescu and dcmsend, and
/// pynetdicom's storescu. Every check ends in the store on disk.
@Suite("DICOM listener with dcmtk and pynetdicom", .serialized, .enabled(if: tool("storescu") != nil, "dcmtk is not installed (tools/install-deps installs it)"))
struct PeerInteropTests {
    static let testdata = TestData.root + "/dicom"
    static let testdataMissing: Comment = "../shared/testdata is absent; set FLUOROBOX_TESTDATA or place the shared test material beside the repository"

    /// dcmtk's ACSE timeout for the test peers. The default 30 s is a wait the box answers in
    /// milliseconds, but the test run shares two cores among all suites in parallel, and a
    /// burst of CPU-bound tests can hold the whole cooperative pool longer than that.
    static let acseTimeout = ["-ta", "120"]

    func storescu(_ arguments: [String], port: Int, _ files: [String]) async throws -> ProcessRunner.Result {
        try await runTool(tool("storescu")!, ["-aet", "STORESCU", "-aec", ListenerFixture.aeTitle] + Self.acseTimeout + arguments + ["127.0.0.1", "\(port)"] + files)
    }

    /// dcmtk reads the file the box wrote: the stored blob is a valid Part 10 file.
    func expectDcmtkReads(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let dump = try await runTool(tool("dcmdump")!, ["-q", "+E", path])
        #expect(dump.status == 0, "dcmdump \(path): \(dump.stderr)", sourceLocation: sourceLocation)
    }

    @Test("echoscu gets a C-ECHO success")
    func echo() async throws {
        let fixture = try await ListenerFixture()
        let result = try await runTool(tool("echoscu")!, ["-aet", "ECHOSCU", "-aec", ListenerFixture.aeTitle] + Self.acseTimeout + ["127.0.0.1", "\(fixture.port)"])
        #expect(result.status == 0, "status \(result.status): \(result.stdout)\(result.stderr)")
        let wrong = try await runTool(tool("echoscu")!, ["-aec", "NOT-THE-BOX"] + Self.acseTimeout + ["127.0.0.1", "\(fixture.port)"])
        #expect(wrong.status != 0, "\(wrong.stdout)\(wrong.stderr)")
        #expect(wrong.stderr.contains("Called AE Title Not Recognized"), "status \(wrong.status): \(wrong.stdout)\(wrong.stderr)")
        await fixture.stop()
    }

    struct Proposal: Sendable, CustomTestStringConvertible {
        var flag: String
        var file: String
        var expectedSyntax: TransferSyntax
        var testDescription: String { "storescu \(flag) \(file.split(separator: "/").last!)" }
    }

    static let proposals: [Proposal] = [
        Proposal(flag: "-xs", file: "radiography/CR_hip_RG2_JPLL_jpeg_lossless_sv1.dcm", expectedSyntax: .jpegLosslessSV1),
        Proposal(flag: "-xy", file: "radiography/CR_chest_SIIM_jpeg_baseline_8bit.dcm", expectedSyntax: .jpegBaseline),
        Proposal(flag: "-xv", file: "radiography/DX_forpresentation_DX_J2K_0Padding_j2k_lossless_mono2_16bit.dcm", expectedSyntax: .jpeg2000Lossless),
        Proposal(flag: "-xt", file: "radiography/CR_hip_RG2_JLSL_jpegls_lossless.dcm", expectedSyntax: .jpegLSLossless),
        Proposal(flag: "-xr", file: "syntax/CT1_RLE_multifragment.dcm", expectedSyntax: .rleLossless),
        Proposal(flag: "-xd", file: "derived/DX_chest_966_explicitLE_uncompressed.dcm", expectedSyntax: .deflatedExplicitVRLittleEndian),
        // storescu uses the context matching the file's own syntax, so big endian needs a big endian file.
        Proposal(flag: "-xb", file: "syntax/MR_small_bigendian_explicitBE.dcm", expectedSyntax: .explicitVRBigEndian),
        Proposal(flag: "-xi", file: "derived/DX_chest_966_explicitLE_uncompressed.dcm", expectedSyntax: .implicitVRLittleEndian),
        // JPEG Extended (.51) is refused, so storescu falls back to uncompressed for a file it can send that way.
        Proposal(flag: "-xx", file: "derived/DX_chest_966_explicitLE_uncompressed.dcm", expectedSyntax: .explicitVRLittleEndian),
    ]

    @Test("storescu's transfer syntax proposals arrive in the negotiated syntax, once, as files dcmtk reads", .enabled(if: TestData.available, testdataMissing), arguments: proposals)
    func proposalsArrive(_ proposal: Proposal) async throws {
        let fixture = try await ListenerFixture()
        let result = try await storescu([proposal.flag, "-R"], port: fixture.port, [Self.testdata + "/" + proposal.file])
        #expect(result.status == 0, "\(result.stderr)")
        let stored = try fixture.instances()
        #expect(stored.count == 1)
        let instance = try #require(stored.first)
        #expect(instance.transferSyntaxUID == proposal.expectedSyntax.uid)
        let meta = try FileMetaInformation(part10: try fixture.blob(instance))
        #expect(meta.transferSyntax == proposal.expectedSyntax)
        try await expectDcmtkReads(fixture.store.directory.absolute(instance.blobPath))
        #expect(try fixture.temporaryFiles().isEmpty)
        await fixture.stop()
    }

    @Test("a 12-bit JPEG Extended file cannot be sent: its context is refused and nothing is stored", .enabled(if: TestData.available, testdataMissing))
    func refusedSyntax() async throws {
        let fixture = try await ListenerFixture()
        let result = try await storescu(["-xx", "-R"], port: fixture.port, [Self.testdata + "/radiography/CR_hip_RG2_JPLY_fixed_jpeg_extended_12bit.dcm"])
        #expect(result.status != 0)
        #expect(try fixture.instances().isEmpty)
        await fixture.stop()
    }

    @Test("small and large PDUs (--max-send-pdu 4096 and 131072) deliver the data set byte for byte")
    func pduSizes() async throws {
        let fixture = try await ListenerFixture()
        let folder = TemporaryDirectory("pdu")
        let files = try Corpus.write(count: 2, into: folder, subfolder: "in", payloadBytes: 1_500_000)
        for (index, pdu) in ["4096", "131072"].enumerated() {
            let result = try await storescu(["-R", "--max-send-pdu", pdu], port: fixture.port, [files[index].path])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let stored = try fixture.instances()
        #expect(Set(stored.map(\.sopInstanceUID)) == Set(files.map(\.uid)) && stored.count == 2)
        for instance in stored {
            let original = Array(try Data(contentsOf: URL(fileURLWithPath: files.first { $0.uid == instance.sopInstanceUID }!.path)))
            let blob = try fixture.blob(instance)
            let sentMeta = try FileMetaInformation(part10: original), storedMeta = try FileMetaInformation(part10: blob)
            #expect(Array(blob[storedMeta.dataSetOffset...]) == Array(original[sentMeta.dataSetOffset...]))
        }
        await fixture.stop()
    }

    @Test("storescu --abort: what was acknowledged before the abort is stored, once")
    func abortAfterSending() async throws {
        let fixture = try await ListenerFixture()
        let folder = TemporaryDirectory("abort")
        let files = try Corpus.write(count: 3, into: folder, subfolder: "in", payloadBytes: 200_000)
        let result = try await storescu(["-R", "--abort"], port: fixture.port, files.map(\.path))
        #expect(result.status == 0, "\(result.stderr)")
        try await fixture.waitUntilIdle()
        #expect(Set(try fixture.instances().map(\.sopInstanceUID)) == Set(files.map(\.uid)))
        #expect(try fixture.instances().count == 3 && fixture.temporaryFiles().isEmpty)
        await fixture.stop()
    }

    @Test("4 storescu in parallel: every instance arrives exactly once")
    func parallel() async throws {
        let fixture = try await ListenerFixture()
        let folder = TemporaryDirectory("parallel")
        var all: [(path: String, uid: String)] = []
        for sender in 0..<4 {
            all += try Corpus.write(count: 6, into: folder, subfolder: "s\(sender)", payloadBytes: 400_000)
        }
        let port = fixture.port
        let statuses = try await withThrowingTaskGroup(of: Int32.self) { group in
            for sender in 0..<4 {
                group.addTask {
                    try await runTool(tool("storescu")!, ["-aet", "SENDER\(sender)", "-aec", ListenerFixture.aeTitle] + Self.acseTimeout + ["-R", "+sd", "127.0.0.1", "\(port)", folder.file("s\(sender)")]).status
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses == [0, 0, 0, 0])
        let stored = try fixture.instances()
        #expect(stored.count == 24)
        #expect(Set(stored.map(\.sopInstanceUID)) == Set(all.map(\.uid)))
        #expect(Set(stored.compactMap { $0.sourceDetail?.split(separator: "@").first.map(String.init) }) == ["SENDER0", "SENDER1", "SENDER2", "SENDER3"])
        #expect(try fixture.temporaryFiles().isEmpty)
        await fixture.stop()
    }

    struct ReportEntry {
        var file: String
        var uid: String
        var networkSyntax: String
        var status: String
    }

    /// The blocks of dcmsend's report file.
    static func dcmsendReport(_ text: String) -> [ReportEntry] {
        text.components(separatedBy: "\n\n").compactMap { block in
            var fields: [String: String] = [:]
            for line in block.split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2 { fields[parts[0]] = parts[1] }
            }
            guard let file = fields["Filename"], let uid = fields["SOP Instance"], let status = fields["DIMSE Status"] else { return nil }
            return ReportEntry(file: file, uid: uid, networkSyntax: fields["Network Xfer"] ?? "", status: status)
        }
    }

    @Test("dcmsend over the whole test material: every file it sends is stored exactly once", .enabled(if: TestData.available, testdataMissing))
    func dcmsendDirectory() async throws {
        let fixture = try await ListenerFixture()
        let folder = TemporaryDirectory("dcmsend")
        func send(_ round: Int) async throws -> [ReportEntry] {
            let report = folder.file("report\(round).txt")
            let result = try await runTool(tool("dcmsend")!, [
                "-nh", "-aet", "DCMSEND", "-aec", ListenerFixture.aeTitle, "-ta", "120", "127.0.0.1", "\(fixture.port)",
                "+sd", "+r", "--decompress-never", "--create-report-file", report, Self.testdata,
            ])
            #expect(result.status == 0, "\(result.stderr)")
            return Self.dcmsendReport(try String(contentsOfFile: report, encoding: .utf8))
        }
        let entries = try await send(1)
        let sent = entries.filter { $0.status.hasPrefix("0x0000") }
        let failed = entries.filter { !$0.status.hasPrefix("0x0000") && $0.status != "<not sent>" }
        #expect(sent.count >= 20, "only \(sent.count) sent")
        #expect(failed.isEmpty, "answered with a failure: \(failed.map(\.file))")
        let stored = try fixture.instances()
        // The store files an instance under the data set's own SOP Instance UID (two malformed
        // files carry a different one in their meta, which is what dcmsend reports).
        var expected: [(uid: String, syntax: String)] = []
        for entry in sent {
            // The identity reader of today cannot read one malformed big endian file that dcmsend
            // converts on the wire; its meta UID is also its data set's.
            let identity = try? InstanceIdentity(part10: Array(try Data(contentsOf: URL(fileURLWithPath: entry.file))))
            expected.append((identity?.sopInstanceUID ?? entry.uid, entry.networkSyntax))
        }
        #expect(Set(stored.map(\.sopInstanceUID)) == Set(expected.map(\.uid)))
        // One row per distinct content: variants of a UID (other syntax or other bytes) are kept
        // side by side; the same bytes twice (dcmsend converts the big endian MR_small to the
        // little endian context, giving the little endian file's bytes) are one instance.
        #expect(stored.count <= sent.count && stored.count >= Set(expected.map { $0.uid + " " + $0.syntax }).count)
        #expect(Set(stored.map(\.sha256)).count == stored.count)
        // Everything again: all acknowledged, nothing added.
        let again = try await send(2)
        #expect(again.filter { $0.status.hasPrefix("0x0000") }.count == sent.count)
        #expect(try fixture.instances() == stored)
        #expect(try fixture.temporaryFiles().isEmpty)
        await fixture.stop()
    }

    @Test("the box's own SCU: C-ECHO and C-STORE into dcmtk storescp that takes only 4096-byte PDUs")
    func scuIntoStorescp() async throws {
        let folder = TemporaryDirectory("scu")
        let files = try Corpus.write(count: 2, into: folder, subfolder: "out", payloadBytes: 100_000)
        let received = folder.file("received")
        try FileManager.default.createDirectory(atPath: received, withIntermediateDirectories: true)
        let port = try freePort()
        let storescp = Process()
        storescp.executableURL = URL(fileURLWithPath: tool("storescp")!)
        storescp.arguments = ["-aet", "REFSCP", "--max-pdu", "4096", "-od", received, "+B", "\(port)"]
        storescp.standardOutput = FileHandle.nullDevice
        storescp.standardError = FileHandle.nullDevice
        try storescp.run()
        // SIGKILL, not terminate(): a test that ran a ServiceGroup in this process leaves SIGTERM
        // ignored, and children inherit that.
        defer { kill(storescp.processIdentifier, SIGKILL); storescp.waitUntilExit() }
        var echo: DIMSEStatus?
        for _ in 0..<100 where echo == nil {
            let configuration = RequestorConfiguration(
                callingAETitle: "FLUOROBOX", calledAETitle: "REFSCP",
                presentationContexts: [ProposedPresentationContext(id: 1, abstractSyntax: SOPClass.verification, transferSyntaxes: [TransferSyntax.implicitVRLittleEndian.uid])]
            )
            echo = try? await SCUAssociation.withAssociation(host: "127.0.0.1", port: port, configuration: configuration, logger: quietLogger) { try await $0.echo() }
            if echo == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(echo == .success)
        let outcomes = try await StoreSCU(callingAETitle: "FLUOROBOX", calledAETitle: "REFSCP", logger: quietLogger)
            .send(host: "127.0.0.1", port: port, paths: files.map(\.path))
        #expect(outcomes.allSatisfy { $0.status == .success }, "\(outcomes)")
        // storescp (+B) wrote each data set as received: byte for byte what was in the file.
        let written = try FileManager.default.contentsOfDirectory(atPath: received)
        #expect(written.count == 2)
        for name in written {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: received + "/" + name)))
            let meta = try FileMetaInformation(part10: bytes)
            let original = Array(try Data(contentsOf: URL(fileURLWithPath: files.first { $0.uid == meta.mediaStorageSOPInstanceUID }!.path)))
            let originalMeta = try FileMetaInformation(part10: original)
            #expect(Array(bytes[meta.dataSetOffset...]) == Array(original[originalMeta.dataSetOffset...]))
        }
    }

    @Test("pynetdicom's storescu sends the radiographs; each arrives exactly once", .enabled(if: TestData.available, testdataMissing), .enabled(if: venvPython != nil, "no .venv with pynetdicom (tools/install-deps makes it)"))
    func pynetdicom() async throws {
        let fixture = try await ListenerFixture()
        let result = try await runTool(venvPython!, [
            "-m", "pynetdicom", "storescu", "127.0.0.1", "\(fixture.port)", Self.testdata + "/radiography", "-r", "-cx",
            "-aet", "PYSCU", "-aec", ListenerFixture.aeTitle, "-v",
        ])
        let log = result.stdout + result.stderr
        let successes = log.components(separatedBy: "\n").filter { $0.contains("Received Store Response (Status: 0x0000 - Success)") }.count
        #expect(successes >= 9, "\(log)")
        let stored = try fixture.instances()
        #expect(stored.count == successes)
        #expect(Set(stored.map(\.sha256)).count == stored.count)
        #expect(stored.allSatisfy { $0.sourceDetail?.hasPrefix("PYSCU@") == true })
        await fixture.stop()
    }
}
