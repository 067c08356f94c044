import Appliance
import DICOM
import DICOMNetwork
import FluoroboxTestSupport
import Foundation
import Glibc
import POSIXSupport
import StudyStore
import Testing

/// C-MOVE and C-GET to receivers that take only uncompressed syntaxes: a compressed instance goes
/// decoded to Explicit VR Little Endian (the `dimse` destination's rule), one that cannot be
/// decoded is a failed sub-operation named in the final response.
@Suite(
    "Query/retrieve of compressed instances to receivers that take only uncompressed syntaxes", .serialized,
    .enabled(if: tool("movescu") != nil && tool("getscu") != nil && tool("storescp") != nil, "dcmtk is not installed (tools/install-deps installs it)"),
    .enabled(if: TestData.available, "needs the shared test data (../shared/testdata)")
)
struct QueryRetrieveDecodingTests {
    static let jpegLS = "dicom/radiography/CR_hip_RG2_JLSL_jpegls_lossless.dcm"
    static let jpeg2000 = "dicom/radiography/DX_forpresentation_DX_J2K_0Padding_j2k_lossless_mono2_16bit.dcm"

    struct Study {
        var studyUID: String
        /// SOP Instance UID → the Part 10 file as stored.
        var files: [String: [UInt8]]
        /// An instance stored in JPEG-LS whose pixels do not decode.
        var undecodable: String
    }

    /// The two compressed radiographs of the shared test data and a broken JPEG-LS one, filed
    /// into one study through the store's intake.
    static func populate(_ store: StudyStore) throws -> Study {
        let studyUID = DICOMUID.random()
        var files: [String: [UInt8]] = [:]
        for name in [jpegLS, jpeg2000] {
            let original = Array(try Data(contentsOf: URL(fileURLWithPath: TestData.root + "/" + name)))
            let file = try DICOMFile(bytes: original)
            var writer = Part10Writer()
            // The test data's own study is not what is asked for: move both into one study.
            for element in file.dataSet.elements where element.tag != .studyInstanceUID && element.tag.group != 0x0002 {
                switch element.value {
                case .bytes(let bytes): writer.set(element.tag, element.vr, bytes: Array(bytes))
                case .encapsulated(let pixels): writer.setEncapsulatedPixelData(pixels.fragments.map { Array($0) }, transferSyntax: file.transferSyntax)
                case .sequence: continue
                }
            }
            writer.set(.studyInstanceUID, .UI, studyUID)
            files[try #require(file.dataSet.string(.sopInstanceUID))] = try writer.part10Bytes()
        }
        var broken = Part10Writer()
        let undecodable = DICOMUID.random()
        broken.set(.sopClassUID, .UI, QueryRetrieveInteropTests.dx)
        broken.set(.sopInstanceUID, .UI, undecodable)
        broken.set(.studyInstanceUID, .UI, studyUID)
        broken.set(.seriesInstanceUID, .UI, DICOMUID.random())
        broken.set(.modality, .CS, "DX")
        broken.set(.patientID, .LO, "P9")
        broken.set(.rows, uint16: 64)
        broken.set(.columns, uint16: 64)
        broken.set(.samplesPerPixel, uint16: 1)
        broken.set(.photometricInterpretation, .CS, "MONOCHROME2")
        broken.set(.bitsAllocated, uint16: 16)
        broken.set(.bitsStored, uint16: 12)
        broken.set(.highBit, uint16: 11)
        broken.set(.pixelRepresentation, uint16: 0)
        broken.setEncapsulatedPixelData([SyntheticDICOM.randomBytes(512)], transferSyntax: .jpegLSLossless)
        files[undecodable] = try broken.part10Bytes()
        for bytes in files.values {
            _ = try store.ingestBlocking(.bytes(bytes), origin: IntakeOrigin(source: .analysis, detail: "test")) { try ContentDescriber.describe($0) }
        }
        return Study(studyUID: studyUID, files: files, undecodable: undecodable)
    }

    /// What each received file holds, by SOP Instance UID.
    static func received(in folder: String) throws -> [String: DICOMFile] {
        var files: [String: DICOMFile] = [:]
        for name in try Posix.directoryEntries(folder) {
            let file = try DICOMFile(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))))
            files[file.dataSet.string(.sopInstanceUID) ?? name] = file
        }
        return files
    }

    /// The decodable instances arrived in Explicit VR Little Endian with the stored pixels; the
    /// broken one did not arrive and the final response counted one failure.
    static func expectDecodedCopies(_ arrived: [String: DICOMFile], of study: Study, toolOutput: String) throws {
        #expect(toolOutput.contains(/Failed Suboperations\s*: 1\n/), "\(toolOutput)")
        #expect(Set(arrived.keys) == Set(study.files.keys).subtracting([study.undecodable]), "\(toolOutput)")
        for (uid, bytes) in study.files where uid != study.undecodable {
            let copy = try #require(arrived[uid], "\(uid) did not arrive")
            #expect(copy.transferSyntax == .explicitVRLittleEndian)
            let original = try DICOMImage(file: DICOMFile(bytes: bytes))
            let received = try DICOMImage(file: copy)
            #expect(received.pixels == original.pixels)
            #expect(received.frames == original.frames, "\(uid): the received pixels differ from the stored ones decoded")
        }
    }

    @Test("movescu to a storescp taking only uncompressed syntaxes: JPEG-LS and JPEG 2000 arrive decoded with the stored pixels; an undecodable instance fails, named")
    func moveDecodes() async throws {
        let folder = TemporaryDirectory("qr-move-decode")
        let received = folder.file("received")
        try FileManager.default.createDirectory(atPath: received, withIntermediateDirectories: true)
        let port = try freePort()
        let fixture = try await ListenerFixture(label: "qr-move-decode", queryRetrievePeers: [DICOMPeer(aeTitle: "STORESCP", host: "127.0.0.1", port: port)])
        let study = try Self.populate(fixture.store)
        let storescp = Process()
        storescp.executableURL = URL(fileURLWithPath: tool("storescp")!)
        // Explicit VR Little Endian preferred, uncompressed syntaxes only (storescp's default
        // accepts no compressed syntax).
        storescp.arguments = ["-aet", "STORESCP", "+xe", "-od", received, "+B", "\(port)"]
        storescp.standardOutput = FileHandle.nullDevice
        storescp.standardError = FileHandle.nullDevice
        try storescp.run()
        defer { kill(storescp.processIdentifier, SIGKILL); storescp.waitUntilExit() }
        try await Task.sleep(for: .milliseconds(500))

        let result = try await runTool(tool("movescu")!, ["-S", "-v", "-d", "-aet", "MOVESCU", "-aec", ListenerFixture.aeTitle, "-aem", "STORESCP"]
            + QueryRetrieveInteropTests.acse + ["-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=\(study.studyUID)", "127.0.0.1", "\(fixture.port)"])
        let output = result.stdout + result.stderr
        // movescu prints the final response's data set (getscu does not).
        #expect(output.contains("[\(study.undecodable)]") && output.contains("FailedSOPInstanceUIDList"), "\(output)")
        try Self.expectDecodedCopies(try Self.received(in: received), of: study, toolOutput: output)
        await fixture.stop()
    }

    @Test("getscu offering only uncompressed syntaxes: JPEG-LS and JPEG 2000 arrive decoded with the stored pixels; an undecodable instance fails, named")
    func getDecodes() async throws {
        let fixture = try await ListenerFixture(label: "qr-get-decode", queryRetrievePeers: [])
        let study = try Self.populate(fixture.store)
        let folder = TemporaryDirectory("getscu-decode")
        let result = try await runTool(tool("getscu")!, ["-S", "-v", "-d", "+xe", "-aet", "GETSCU", "-aec", ListenerFixture.aeTitle]
            + QueryRetrieveInteropTests.acse
            + ["-od", folder.path, "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=\(study.studyUID)", "127.0.0.1", "\(fixture.port)"])
        let output = result.stdout + result.stderr
        try Self.expectDecodedCopies(try Self.received(in: folder.path), of: study, toolOutput: output)
        await fixture.stop()
    }
}
