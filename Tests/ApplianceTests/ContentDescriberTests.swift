import DICOM
import FluoroboxTestSupport
import Foundation
import Imaging
import StudyStore
import Testing
@testable import Appliance

@Suite("Identifying file content")
struct ContentDescriberTests {
    /// Ingests bytes through the real store with the real describe step.
    static func describe(_ bytes: [UInt8]) async throws -> (IntakeReceipt, StudyStore, TemporaryDirectory) {
        let folder = TemporaryDirectory("describe")
        let store = try StudyStore.open(StoreConfiguration(dataDirectory: DataDirectory(path: folder.file("data"))), logger: quietLogger)
        let receipt = try await store.ingest(.bytes(bytes), origin: IntakeOrigin(source: .import)) { staged in
            try ContentDescriber.describe(staged)
        }
        return (receipt, store, folder)
    }

    @Test("a DICOM file is filed under its own UIDs and demographics")
    func dicom() async throws {
        let bytes = try DemoStudy.makePart10(seed: 4, size: 64)
        let identity = try InstanceIdentity(part10: bytes)
        let (receipt, store, _) = try await Self.describe(bytes)
        #expect(receipt.sopInstanceUID == identity.sopInstanceUID)
        #expect(receipt.studyInstanceUID == identity.studyInstanceUID)
        let study = try #require(try store.listStudies().first)
        #expect(study.patientID == "DEMO-4" && study.modality == "DX" && !study.uidGenerated)
        #expect(study.instances.first?.format == .dicom)
    }

    @Test("JPEG and PNG files become one-instance studies with UIDs derived from their bytes")
    func rasters() async throws {
        let phantom = ChestPhantom(width: 96, height: 96, seed: 9).render().samples.map { UInt8($0 >> 4) }
        let jpeg = try JPEGCodec.encodeGray8(phantom, width: 96, height: 96)
        let png = PNGFixture.gray8(width: 96, height: 96, samples: phantom)
        for (bytes, format) in [(jpeg, BlobFormat.jpeg), (png, .png)] {
            let (receipt, store, _) = try await Self.describe(bytes)
            #expect(DICOMUID.isValid(receipt.sopInstanceUID) && receipt.sopInstanceUID.hasPrefix("2.25."))
            #expect(receipt.studyInstanceUID != receipt.sopInstanceUID)
            let (again, _, _) = try await Self.describe(bytes)
            #expect(again.sopInstanceUID == receipt.sopInstanceUID, "the same bytes always get the same UIDs")
            let study = try #require(try store.listStudies().first)
            #expect(study.uidGenerated && study.instances.first?.format == format && study.instances.first?.uidGenerated == true)
        }
    }

    @Test("damaged, foreign and index files are refused with the reason")
    func refusals() async throws {
        let jpeg = try JPEGCodec.encodeGray8([UInt8](repeating: 90, count: 64 * 64), width: 64, height: 64)
        var dicomdir = Part10Writer()
        dicomdir.set(.sopClassUID, .UI, "1.2.840.10008.1.3.10")
        dicomdir.set(.sopInstanceUID, .UI, "1.2.3.10")
        let cases: [([UInt8], String)] = [
            (Array(jpeg.prefix(jpeg.count - 30)), "truncated"),
            (Array("patient list\n".utf8), "not a DICOM Part 10 file"),
            (try dicomdir.part10Bytes(), "DICOMDIR"),
            ([UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + [0x02, 0x00], "file meta"),
        ]
        for (bytes, reason) in cases {
            do {
                _ = try await Self.describe(bytes)
                Issue.record("accepted content that should be refused (\(reason))")
            } catch let error as StoreError {
                #expect(error.code == .unrecognisedContent)
                #expect(error.description.contains(reason) || "\(error.underlying.map { "\($0)" } ?? "")".contains(reason), "\(error)")
            }
        }
    }

    /// Before, identity attributes past the first 256 KiB made the describer read the whole
    /// file into memory, whatever its size (up to the 1 GiB instance cap, several at once).
    @Test("identity attributes behind a large early element are found in a longer prefix; past 64 MiB the file is refused, not read whole")
    func largeEarlyElement() async throws {
        func file(earlyBytes: Int, uid: String) throws -> [UInt8] {
            var writer = Part10Writer()
            writer.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.7")
            // (0008,0010), a retired element, ahead of SOP Instance UID (0008,0018).
            writer.set(Tag(0x0008, 0x0010), .OB, bytes: [UInt8](repeating: 0x55, count: earlyBytes))
            writer.set(.sopInstanceUID, .UI, uid)
            writer.set(.studyInstanceUID, .UI, "1.2.3.77")
            return try writer.part10Bytes()
        }
        let (receipt, _, _) = try await Self.describe(try file(earlyBytes: 3 << 20, uid: "1.2.3.77.1"))
        #expect(receipt.sopInstanceUID == "1.2.3.77.1" && receipt.studyInstanceUID == "1.2.3.77")
        do {
            _ = try await Self.describe(try file(earlyBytes: 65 << 20, uid: "1.2.3.77.2"))
            Issue.record("a file whose identity lies past 64 MiB was described")
        } catch let error as StoreError {
            #expect(error.code == .unrecognisedContent && "\(error)".contains("64 MiB"), "\(error)")
        }
    }

    @Test("the shared radiographs are filed: NIH PNGs and every readable DICOM file", .enabled(if: TestData.available, "\(TestData.skipMessage)"))
    func sharedMaterial() async throws {
        let folder = TemporaryDirectory("shared")
        let store = try StudyStore.open(StoreConfiguration(dataDirectory: DataDirectory(path: folder.file("data"))), logger: quietLogger)
        let intake = FileIntake(store: store)
        let files = TestData.files(under: "chest_xray/nih_cxr14").filter { $0.hasSuffix(".png") } + TestData.files(under: "dicom")
        var stored = 0, duplicates = 0, refused: [String] = []
        for path in files {
            switch await intake.ingest(path: path, source: .import) {
            case .acknowledged(let receipt): if receipt.outcome == .duplicate { duplicates += 1 } else { stored += 1 }
            case .skipped: break
            case .failed: refused.append((path as NSString).lastPathComponent)
            }
        }
        // Every DICOM file is filed, the ACR-NEMA one (no preamble, no meta) included.
        #expect(refused.isEmpty, "\(refused)")
        #expect(stored + duplicates + refused.count == files.count)
        let sopUIDs = try store.listStudies().flatMap(\.instances).map(\.sopInstanceUID)
        #expect(sopUIDs.count == stored)
    }
}
