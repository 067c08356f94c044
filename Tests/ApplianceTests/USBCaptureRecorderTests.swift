import DICOM
import FluoroboxTestSupport
import Foundation
import Imaging
import StudyStore
import Testing
import USBCapture
@testable import Appliance

@Suite("USB capture recording and registration")
struct USBCaptureRecorderTests {
    static func openStore(_ folder: TemporaryDirectory) throws -> StudyStore {
        try StudyStore.open(
            StoreConfiguration(dataDirectory: DataDirectory(path: folder.file("data")), destinations: [.platform], retention: RetentionPolicy(softLimit: .bytes(0), hardLimit: .bytes(0))),
            logger: quietLogger
        )
    }

    static let device = USBCaptureDocument.Device(manufacturer: "Acme", model: "Grabber 2", serialNumber: "SN-7", description: "1209:0001 on bus 1 port 1, grey 64x48", stationName: nil)

    static func image() -> GrayscaleImage {
        GrayscaleImage(width: 64, height: 48, bitsStored: 8, samples: (0..<(64 * 48)).map { UInt16($0 % 251) })
    }

    /// Text value of an element in an explicit VR little endian file (what the box writes).
    static func value(_ bytes: [UInt8], _ tag: DICOM.Tag) -> [UInt8]? {
        var offset = 132
        while offset + 8 <= bytes.count {
            let group = UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
            let element = UInt16(bytes[offset + 2]) | UInt16(bytes[offset + 3]) << 8
            let vr = String(decoding: bytes[offset + 4..<offset + 6], as: UTF8.self)
            var length: Int
            if ["OB", "OW", "SQ", "UT", "UN"].contains(vr) {
                length = Int(bytes[offset + 8]) | Int(bytes[offset + 9]) << 8 | Int(bytes[offset + 10]) << 16 | Int(bytes[offset + 11]) << 24
                offset += 12
            } else {
                length = Int(bytes[offset + 6]) | Int(bytes[offset + 7]) << 8
                offset += 8
            }
            if DICOM.Tag(group, element) == tag { return Array(bytes[offset..<offset + length]) }
            offset += length
        }
        return nil
    }

    static func text(_ bytes: [UInt8], _ tag: DICOM.Tag) -> String? {
        value(bytes, tag).map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: " \0")) }
    }

    @Test("a capture after registration carries the patient and uses the registration up; the next one is marked unregistered")
    func registeredThenUnregistered() async throws {
        let folder = TemporaryDirectory("usb-recorder")
        let store = try Self.openStore(folder)
        try store.register(RegistrationRecord(patientID: "P-42", patientName: "DOE^JANE", patientBirthDate: "19800131", patientSex: "F", worklistNote: "chest PA"))
        let recorder = USBCaptureRecorder(store: store, modality: "DX", logger: quietLogger)
        let first = try await recorder.record(Self.image(), framesIntegrated: 8, device: Self.device)
        #expect(try store.pendingRegistration() == nil)
        let second = try await recorder.record(Self.image(), framesIntegrated: 8, device: Self.device)

        let studies = try store.listStudies()
        #expect(studies.count == 2)
        let firstStudy = try #require(studies.first { $0.instances.first?.sopInstanceUID == first.sopInstanceUID })
        #expect(firstStudy.patientID == "P-42" && firstStudy.patientName == "DOE^JANE" && firstStudy.studyDescription == "chest PA")
        #expect(firstStudy.instances.first?.source == .usb && firstStudy.instances.first?.format == .dicom)
        let secondStudy = try #require(studies.first { $0.instances.first?.sopInstanceUID == second.sopInstanceUID })
        #expect(secondStudy.patientName == USBCaptureDocument.unknownPatientName)
        #expect(secondStudy.patientID?.hasPrefix("UNREGISTERED-") == true)

        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: store.directory.absolute(DataDirectory.relativeBlobPath(sha256: first.sha256)))))
        #expect(Self.text(bytes, .sopClassUID) == USBCaptureDocument.sopClassUID)
        #expect(Self.text(bytes, .conversionType) == "DV")
        #expect(Self.text(bytes, .modality) == "DX")
        #expect(Self.text(bytes, .manufacturer) == "Acme" && Self.text(bytes, .deviceSerialNumber) == "SN-7")
        #expect(Self.text(bytes, .patientBirthDate) == "19800131" && Self.text(bytes, .patientSex) == "F")
        #expect(Self.value(bytes, .pixelData) == Self.image().samples.map { UInt8($0) })
        let unregistered = Array(try Data(contentsOf: URL(fileURLWithPath: store.directory.absolute(DataDirectory.relativeBlobPath(sha256: second.sha256)))))
        #expect(Self.text(unregistered, DICOM.Tag(0x0010, 0x4000))?.contains("No patient was registered") == true)
        #expect(try store.auditEvents().contains { $0.kind == "registration.used" })
    }

    @Test("a claim left by a crash before the capture was stored goes back to the next capture; one whose capture was stored is used up")
    func settlingClaims() async throws {
        let folder = TemporaryDirectory("usb-claims")
        let store = try Self.openStore(folder)
        try store.register(RegistrationRecord(patientID: "P-1", patientName: nil, patientBirthDate: nil, patientSex: nil, worklistNote: nil))
        _ = try store.claimPendingRegistration(for: DICOMUID.random())  // the process dies here
        #expect(try store.settleRegistrations() == 1)
        #expect(try store.pendingRegistration()?.patientID == "P-1")
        let recorder = USBCaptureRecorder(store: store, modality: "DX", logger: quietLogger)
        _ = try await recorder.record(Self.image(), framesIntegrated: 1, device: Self.device)
        #expect(try store.pendingRegistration() == nil)

        try store.register(RegistrationRecord(patientID: "P-2", patientName: nil, patientBirthDate: nil, patientSex: nil, worklistNote: nil))
        let uid = DICOMUID.random()
        let claimed = try #require(try store.claimPendingRegistration(for: uid))
        let bytes = try USBCaptureDocument.part10(image: Self.image(), framesIntegrated: 1, sopInstanceUID: uid, capturedAt: Date(), device: Self.device, registration: claimed, modality: "DX")
        _ = try await store.ingest(.bytes(bytes), origin: IntakeOrigin(source: .usb)) { try ContentDescriber.describe($0) }
        // The process dies before the registration is marked used.
        #expect(try store.settleRegistrations() == 1)
        #expect(try store.pendingRegistration() == nil)
    }

    @Test("registering again replaces a registration not yet used; cancel removes it")
    func replaceAndCancel() throws {
        let folder = TemporaryDirectory("usb-register")
        let store = try Self.openStore(folder)
        try store.register(RegistrationRecord(patientID: "A", patientName: nil, patientBirthDate: nil, patientSex: nil, worklistNote: nil))
        try store.register(RegistrationRecord(patientID: "B", patientName: nil, patientBirthDate: nil, patientSex: nil, worklistNote: nil))
        #expect(try store.pendingRegistration()?.patientID == "B")
        #expect(try store.cancelPendingRegistration())
        #expect(try store.pendingRegistration() == nil)
        #expect(try !store.cancelPendingRegistration())
    }

    @Test("usb.* keys: file and environment values, and clear errors for bad ones")
    func configuration() throws {
        let folder = TemporaryDirectory("usb-config")
        let file = try folder.write("config.json", Array(#"{"usb": {"enabled": true, "device": "1209:0001:EMU-1", "formats": ["grey", "mjpeg"], "frameSize": "640x480", "exposure": {"stableFrames": 4}}}"#.utf8))
        let (configuration, warnings) = try ApplianceConfiguration.load(file: file, environment: ["FLUOROBOX_USB_EXPOSURE_CHANGE_THRESHOLD": "20", "FLUOROBOX_USB_FRAMES_PER_SECOND": "15"])
        #expect(warnings.isEmpty)
        let usb = configuration.usb
        #expect(usb.enabled && usb.device == .vendorProduct(vendor: 0x1209, product: 0x0001, serial: "EMU-1"))
        #expect(usb.formats == [.grey, .mjpeg] && usb.width == 640 && usb.height == 480 && usb.framesPerSecond == 15)
        #expect(usb.exposure.stableFrames == 4 && usb.exposure.changeThreshold == 20)
        #expect(ApplianceConfiguration().usb.enabled == false && ApplianceConfiguration().usb.device == .firstVideoDevice)
        for (variable, value) in [("FLUOROBOX_USB_DEVICE", "camera"), ("FLUOROBOX_USB_FORMATS", "h264"), ("FLUOROBOX_USB_FRAME_SIZE", "big"), ("FLUOROBOX_USB_EXPOSURE_STABLE_FRAMES", "1")] {
            #expect(performing: { try ApplianceConfiguration.load(file: nil, environment: [variable: value]) }, throws: { error in
                (error as? ConfigurationError)?.source == "environment variable \(variable)"
            })
        }
        #expect(USBDeviceMatch(parsing: "serial:ABC") == .serial("ABC"))
        #expect(USBDeviceMatch(parsing: "auto") == .firstVideoDevice)
        #expect(USBDeviceMatch(parsing: "12:34") == nil)
    }

    @Test("with no capture device the service keeps searching, says so in its link state, and stops when asked")
    func serviceWithoutDevice() async throws {
        let folder = TemporaryDirectory("usb-service")
        let store = try Self.openStore(folder)
        var settings = USBCaptureSettings()
        settings.enabled = true
        settings.device = .vendorProduct(vendor: 0x1209, product: 0xFFFE, serial: nil)
        settings.searchIntervalSeconds = 0.1
        let runState = RunStateFiles(directory: store.directory)
        let linkPath = runState.path(.usbLink)
        try FileManager.default.createDirectory(atPath: store.directory.runPath, withIntermediateDirectories: true)
        let service = USBCaptureService(settings: settings, recorder: USBCaptureRecorder(store: store, modality: "DX", logger: quietLogger), gate: nil, runState: runState, logger: quietLogger)
        let task = Task { try await service.run() }
        var phase: String?
        for _ in 0..<100 {
            try await Task.sleep(for: .milliseconds(50))
            if let data = FileManager.default.contents(atPath: linkPath), let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                phase = json["phase"] as? String
                if phase == "searching" { break }
            }
        }
        #expect(phase == "searching")
        task.cancel()
        try await task.value
        #expect(await service.link.phase == .stopped)
    }
}
