import Appliance
import Crypto
import DICOM
import Foundation
import FluoroboxTestSupport
import Imaging
import POSIXSupport
import StudyStore
import Sync
import SyncFixtures
import Testing

@Suite("Pseudonymisation before upload", .serialized)
struct PseudonymisationTests {
    /// An instance carrying what the basic profile must take out: names, dates, an institution,
    /// a private element, and a sequence with a name inside; plus a harmless sequence of UIDs.
    static func identifiedInstance(sop: String, study: String, patientID: String, name: String) throws -> [UInt8] {
        var writer = Part10Writer()
        writer.set(.specificCharacterSet, .CS, "ISO_IR 192")
        writer.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.7")
        writer.set(.sopInstanceUID, .UI, sop)
        writer.set(.studyDate, .DA, "20261123")
        writer.set(.studyTime, .TM, "101500")
        writer.set(.accessionNumber, .SH, "ACC-77")
        writer.set(.modality, .CS, "DX")
        writer.set(.institutionName, .LO, "Rural Clinic Nr 3")
        writer.set(.referringPhysicianName, .PN, "House^Gregory")
        writer.set(.patientName, .PN, name)
        writer.set(.patientID, .LO, patientID)
        writer.set(.patientBirthDate, .DA, "19610412")
        writer.set(.patientSex, .CS, "F")
        writer.set(Tag(0x0010, 0x1040), .LO, "12 Lenin Street, Vologda") // Patient's Address
        writer.set(.studyInstanceUID, .UI, study)
        writer.set(.seriesInstanceUID, .UI, study + ".9")
        writer.set(Tag(0x0009, 0x0010), .LO, "ACME PRIVATE")
        writer.set(Tag(0x0009, 0x1001), .LO, name)
        // Derivation Code Sequence (not in the table) holding a person name: removed whole.
        writer.set(Tag(0x0008, 0x9215), .SQ, bytes: Self.item([Self.element(0x0040, 0xA123, "PN", "Tech^Ivan")]))
        // Source Image Sequence with UIDs only: kept.
        writer.set(Tag(0x0008, 0x2112), .SQ, bytes: Self.item([
            Self.element(0x0008, 0x1150, "UI", "1.2.840.10008.5.1.4.1.1.1.1"),
            Self.element(0x0008, 0x1155, "UI", study + ".77"),
        ]))
        writer.set(.pixelData, .OB, bytes: SyntheticDICOM.randomBytes(4096))
        return try writer.part10Bytes()
    }

    static func element(_ group: UInt16, _ number: UInt16, _ vr: String, _ text: String) -> [UInt8] {
        var value = Array(text.utf8)
        if value.count % 2 == 1 { value.append(vr == "UI" ? 0 : 0x20) }
        return [UInt8(group & 0xFF), UInt8(group >> 8), UInt8(number & 0xFF), UInt8(number >> 8)] + Array(vr.utf8)
            + [UInt8(value.count & 0xFF), UInt8(value.count >> 8)] + value
    }

    static func item(_ elements: [[UInt8]]) -> [UInt8] {
        let content = elements.flatMap { $0 }
        let length = UInt32(content.count)
        return [0xFE, 0xFF, 0x00, 0xE0] + (0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) } + content
    }

    static func hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    @Test("the basic profile empties and removes what names the patient, keeps UIDs and pixels, writes the pseudonym")
    func profileOnOneInstance() throws {
        let key = SymmetricKey(size: .bits256)
        let pseudonymiser = Pseudonymiser(key: key)
        let original = try Self.identifiedInstance(sop: "1.2.3.4.5.1", study: "1.2.3.4.5", patientID: "PID-0042", name: "Ivanova^Anna")
        let copy = try pseudonymiser.pseudonymise(original)
        #expect(try pseudonymiser.pseudonymise(original) == copy, "the copy must be the same bytes every time")

        let file = try DICOMFile(bytes: copy)
        let data = file.dataSet
        let pseudonym = pseudonymiser.pseudonym(patientID: "PID-0042")
        #expect(pseudonym.hasPrefix("FBX-") && pseudonym.count == 36)
        #expect(data.string(.patientID) == pseudonym)
        #expect(data.string(.patientName) == pseudonym)
        for tag in [Tag.patientBirthDate, .patientSex, .studyDate, .studyTime, .accessionNumber, .referringPhysicianName] {
            #expect(data.contains(tag) && data.string(tag) == nil, "\(tag) must be present and empty")
        }
        for tag in [Tag.institutionName, Tag(0x0010, 0x1040), Tag(0x0009, 0x0010), Tag(0x0009, 0x1001), Tag(0x0008, 0x9215)] {
            #expect(!data.contains(tag), "\(tag) must be removed")
        }
        #expect(data.sequence(Tag(0x0008, 0x2112))?.first?.string(Tag(0x0008, 0x1155)) == "1.2.3.4.5.77")
        #expect(data.string(.sopInstanceUID) == "1.2.3.4.5.1")
        #expect(data.string(.studyInstanceUID) == "1.2.3.4.5")
        #expect(data.string(Tag(0x0012, 0x0062)) == "YES")
        #expect(data.string(Tag(0x0012, 0x0063))?.contains("Basic Profile") == true)
        #expect(data[.pixelData]?.bytes == (try DICOMFile(bytes: original)).dataSet[.pixelData]?.bytes)
        let text = String(decoding: copy, as: UTF8.self)
        for secret in ["Ivanova", "PID-0042", "19610412", "Lenin", "Rural Clinic", "House", "Tech^Ivan", "ACC-77"] {
            #expect(!text.contains(secret), "\(secret) is still in the copy")
        }
        // A different key gives a different pseudonym; the same key the same one.
        #expect(Pseudonymiser(key: SymmetricKey(size: .bits256)).pseudonym(patientID: "PID-0042") != pseudonym)
        #expect(Pseudonymiser(key: key).pseudonym(patientID: "PID-0042") == pseudonym)
    }

    static let sharedFiles = (TestData.files(under: "dicom/radiography") + TestData.files(under: "dicom/syntax")).filter { $0.hasSuffix(".dcm") }

    @Test(
        "every shared file (implicit, explicit big endian, deflated, ACR-NEMA, compressed) gets a copy dcmdump reads, without the identity and with the same pixels",
        .enabled(if: TestData.available, "\(TestData.skipMessage)"), arguments: sharedFiles
    )
    func sharedFile(path: String) async throws {
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let source = try DICOMFile(bytes: original).dataSet
        let pseudonymiser = Pseudonymiser(key: SymmetricKey(size: .bits256))
        let copy = try pseudonymiser.pseudonymise(original)
        let data = try DICOMFile(bytes: copy).dataSet
        let expected = source.string(.patientID).map { pseudonymiser.pseudonym(patientID: $0) }
        #expect(data.string(.patientID) == expected)
        #expect(data.string(.patientName) == (source.contains(.patientName) ? expected : nil))
        #expect(data.string(.patientBirthDate) == nil && data.string(.institutionName) == nil)
        #expect(!data.elements.contains { $0.tag.isPrivate }, "private elements left")
        #expect(data.string(.sopInstanceUID) == source.string(.sopInstanceUID))
        switch (source[.pixelData]?.value, data[.pixelData]?.value) {
        case (.bytes(let a)?, .bytes(let b)?): #expect(a.elementsEqual(b), "pixel bytes changed")
        case (.encapsulated(let a)?, .encapsulated(let b)?):
            #expect(a.fragments.count == b.fragments.count && zip(a.fragments, b.fragments).allSatisfy { $0.elementsEqual($1) }, "fragments changed")
        case (nil, nil): break
        default: Issue.record("pixel data changed form")
        }
        guard let dcmdump = tool("dcmdump") else {
            Issue.record("dcmdump (dcmtk) is not installed; tools/install-deps installs it")
            return
        }
        let folder = TemporaryDirectory("pseudo-shared")
        let out = folder.path + "/copy.dcm"
        try Data(copy).write(to: URL(fileURLWithPath: out))
        let dump = try await ProcessRunner.run(dcmdump, ["-q", "+E", out])
        #expect(dump.status == 0, "dcmdump: \(dump.stderr)")
        #expect(dump.stdout.contains("(0012,0062) CS [YES]"), "\(dump.stdout.prefix(2000))")
    }

    @Test("an instance with text burned into its pixels is refused, not uploaded as it is")
    func burnedInAnnotationRefused() throws {
        var writer = Part10Writer()
        writer.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.7")
        writer.set(.sopInstanceUID, .UI, "1.2.3.9")
        writer.set(.patientName, .PN, "Petrov^Pavel")
        writer.set(Tag(0x0028, 0x0301), .CS, "YES")
        writer.set(.pixelData, .OB, bytes: [1, 2, 3, 4])
        let pseudonymiser = Pseudonymiser(key: SymmetricKey(size: .bits256))
        #expect(throws: SyncError.self) { try pseudonymiser.pseudonymise(try writer.part10Bytes()) }
    }

    @Test("with sync.pseudonymise the hub receives pseudonymised copies (same patient, same pseudonym), dcmdump reads them, the box keeps the originals")
    func hubReceivesPseudonymisedCopies() async throws {
        let box = TemporaryDirectory("pseudo-box")
        let hubDirectory = TemporaryDirectory("pseudo-hub")
        let directory = DataDirectory(path: box.path)
        let store = try StudyStore.open(StoreConfiguration(dataDirectory: directory), logger: quietLogger)
        let patients = [("PID-1", "Ivanova^Anna"), ("PID-1", "Ivanova^Anna"), ("PID-2", "Sidorov^Oleg")]
        var originals: [String: (sha: String, patientID: String)] = [:]
        for (index, (patientID, name)) in patients.enumerated() {
            let study = "1.2.826.0.1.3680043.10.2002.\(index)"
            let sop = study + ".1"
            let bytes = try Self.identifiedInstance(sop: sop, study: study, patientID: patientID, name: name)
            let receipt = try await store.ingest(.bytes(bytes), origin: IntakeOrigin(source: .import, detail: "pseudonymisation test")) { _ in
                InstanceDescription(sopInstanceUID: sop, studyInstanceUID: study, uidsGenerated: false, format: .dicom, modality: "DX")
            }
            originals[OutboxItemRecord.instanceKey(sopInstanceUID: sop, sha256: receipt.sha256)] = (receipt.sha256, patientID)
        }

        let hubPort = HubProcess.freePort()
        let hub = HubProcess(dataDirectory: hubDirectory.path, port: hubPort)
        try hub.start()
        defer { hub.stop() }
        try await hub.waitUntilListening()

        var settings = SyncDeliveryTests.settings(proxyPort: hubPort, chunkBytes: 1500)
        settings.pseudonymise = true
        settings.watchNetworkChanges = false
        let service = try SyncService.platform(store: store, settings: settings, onReady: {}, logger: quietLogger)
        let drain = Task { try await service.run() }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, try SyncFixture.platformStates(store)["sent", default: 0] < patients.count {
            try await Task.sleep(for: .milliseconds(100))
        }
        drain.cancel()
        _ = try? await drain.value
        #expect(try SyncFixture.platformStates(store)["sent"] == patients.count)

        let keyMode = try FileManager.default.attributesOfItem(atPath: PseudonymKey.path(in: directory))[.posixPermissions] as? Int
        #expect(keyMode == 0o600, "key file mode \(String(keyMode ?? 0, radix: 8))")
        let key = SymmetricKey(data: try #require(FileManager.default.contents(atPath: PseudonymKey.path(in: directory))))
        let pseudonymiser = Pseudonymiser(key: key)

        let held = try await HubList.items(dataDirectory: hubDirectory.path)
        #expect(Set(held.map(\.key)) == Set(originals.keys))
        var pseudonyms: [String: Set<String>] = [:]
        for item in held {
            let original = try #require(originals[item.key])
            #expect(item.sha256 != original.sha, "the hub holds the original bytes of \(item.key)")
            let path = hubDirectory.path + "/items/" + item.sha256
            let bytes = try #require(FileManager.default.contents(atPath: path))
            #expect(Self.hex(Array(bytes)) == item.sha256)
            let data = try DICOMFile(bytes: Array(bytes)).dataSet
            #expect(data.string(.patientBirthDate) == nil && data.string(.patientSex) == nil)
            #expect(data.string(.patientName) == pseudonymiser.pseudonym(patientID: original.patientID))
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(!text.contains("Ivanova") && !text.contains("Sidorov") && !text.contains("PID-"))
            pseudonyms[original.patientID, default: []].insert(try #require(data.string(.patientID)))
            if let dcmdump = tool("dcmdump") {
                let dump = try await ProcessRunner.run(dcmdump, ["-q", "+E", path])
                #expect(dump.status == 0, "dcmdump: \(dump.stderr)")
                #expect(dump.stdout.contains("PatientIdentityRemoved") || dump.stdout.contains("(0012,0062)"))
            } else {
                Issue.record("dcmdump (dcmtk) is not installed; tools/install-deps installs it")
            }
        }
        #expect(pseudonyms["PID-1"]?.count == 1, "the same patient must get one pseudonym: \(pseudonyms)")
        #expect(pseudonyms["PID-2"]?.count == 1)
        #expect(pseudonyms["PID-1"] != pseudonyms["PID-2"])

        // The box keeps its originals untouched, and no copy is left behind.
        for (_, original) in originals {
            let blob = try #require(FileManager.default.contents(atPath: directory.absolute(DataDirectory.relativeBlobPath(sha256: original.sha))))
            #expect(Self.hex(Array(blob)) == original.sha)
        }
        #expect(((try? Posix.directoryEntries(box.path + "/sync/pseudonymised")) ?? []).isEmpty)
    }
}

@Suite("USB captures and pseudonymisation")
struct USBCapturePseudonymisationTests {
    @Test("a USB screen grab says Burned In Annotation YES, so the pseudonymised upload refuses it rather than send the pixels' text")
    func usbGrabIsBurnedIn() throws {
        let image = GrayscaleImage(width: 16, height: 12, bitsStored: 8, samples: (0..<(16 * 12)).map { UInt16($0 % 251) })
        let device = USBCaptureDocument.Device(manufacturer: "Acme", model: "Grabber", serialNumber: "SN-1", description: "1209:0001 grey 16x12", stationName: nil)
        let bytes = try USBCaptureDocument.part10(
            image: image, framesIntegrated: 1, sopInstanceUID: "2.25.77", capturedAt: Date(), device: device, registration: nil, modality: "DX"
        )
        #expect(try DICOMFile(bytes: bytes).dataSet.string(Tag(0x0028, 0x0301)) == "YES")
        #expect(throws: SyncError.self) { try Pseudonymiser(key: SymmetricKey(size: .bits256)).pseudonymise(bytes) }
    }
}
