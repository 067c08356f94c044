import DICOM
import Foundation
import Imaging
import StudyStore

/// A USB capture as a DICOM Secondary Capture object (PS3.3 A.8.1), conversion type DV
/// (digitized video), with the device, the time, and the registered patient, or placeholders
/// that say plainly that nobody was registered.
public enum USBCaptureDocument {
    /// Secondary Capture Image Storage.
    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.7"
    public static let unknownPatientName = "UNKNOWN^UNREGISTERED"
    static let patientComments = Tag(0x0010, 0x4000)
    static let imageComments = Tag(0x0020, 0x4000)
    static let deviceDescription = Tag(0x0050, 0x0020)
    /// Burned In Annotation (0028,0301).
    static let burnedInAnnotation = Tag(0x0028, 0x0301)

    public struct Device: Sendable, Hashable {
        public var manufacturer: String?
        public var model: String?
        public var serialNumber: String?
        /// "1209:0001 on bus 1 port 1, mjpeg 320x240 at 10.0 fps".
        public var description: String
        public var stationName: String?

        public init(manufacturer: String?, model: String?, serialNumber: String?, description: String, stationName: String?) {
            self.manufacturer = manufacturer
            self.model = model
            self.serialNumber = serialNumber
            self.description = description
            self.stationName = stationName
        }
    }

    /// The Part 10 bytes for one capture.
    public static func part10(
        image: GrayscaleImage, framesIntegrated: Int, sopInstanceUID: String, capturedAt: Date,
        device: Device, registration: RegistrationRecord?, modality: String
    ) throws -> [UInt8] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone.current
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: capturedAt)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        let date = "\(c.year ?? 1970)\(two(c.month))\(two(c.day))"
        let time = "\(two(c.hour))\(two(c.minute))\(two(c.second))"

        var writer = Part10Writer()
        writer.set(.specificCharacterSet, .CS, "ISO_IR 192")
        writer.set(.imageType, .CS, "DERIVED\\SECONDARY")
        writer.set(.sopClassUID, .UI, sopClassUID)
        writer.set(.sopInstanceUID, .UI, sopInstanceUID)
        writer.set(.studyDate, .DA, date)
        writer.set(.contentDate, .DA, date)
        writer.set(.studyTime, .TM, time)
        writer.set(.contentTime, .TM, time)
        // The registration's worklist accession: the stored capture links to it, and the item is done.
        writer.set(.accessionNumber, .SH, registration?.accessionNumber ?? "")
        writer.set(.modality, .CS, modality)
        writer.set(.conversionType, .CS, "DV")
        // A grab of a unit's video output shows what its screen shows, patient name included:
        // YES, so nothing that must not see identities (the pseudonymised upload) takes it.
        writer.set(burnedInAnnotation, .CS, "YES")
        writer.set(.manufacturer, .LO, device.manufacturer ?? "")
        writer.set(.manufacturerModelName, .LO, device.model ?? "")
        writer.set(.deviceSerialNumber, .LO, device.serialNumber ?? "")
        writer.set(.stationName, .SH, String((device.stationName ?? device.model ?? "USB capture").prefix(16)))
        writer.set(.softwareVersions, .LO, "Fluorobox \(Agent.version)")
        writer.set(.referringPhysicianName, .PN, "")
        writer.set(deviceDescription, .LO, String(device.description.prefix(64)))
        writer.set(.studyDescription, .LO, String((registration?.worklistNote ?? "USB capture").prefix(64)))
        writer.set(.seriesDescription, .LO, "USB capture, \(framesIntegrated) frame(s) averaged")
        writer.set(imageComments, .LT, "Captured by Fluorobox from a USB video device: \(device.description)")
        if let registration {
            writer.set(.patientName, .PN, registration.patientName ?? "")
            writer.set(.patientID, .LO, registration.patientID ?? "")
            writer.set(.patientBirthDate, .DA, registration.patientBirthDate ?? "")
            writer.set(.patientSex, .CS, registration.patientSex ?? "")
        } else {
            writer.set(.patientName, .PN, unknownPatientName)
            writer.set(.patientID, .LO, "UNREGISTERED-\(date)\(time)")
            writer.set(.patientBirthDate, .DA, "")
            writer.set(.patientSex, .CS, "")
            writer.set(patientComments, .LT, "No patient was registered on the box before this capture: patient name and ID are placeholders and must be corrected before reporting.")
        }
        writer.setSingleImage(
            studyInstanceUID: DICOMUID.random(), seriesInstanceUID: DICOMUID.random(), patientOrientation: "",
            width: image.width, height: image.height
        )
        if image.bitsStored <= 8 {
            writer.set(.bitsAllocated, uint16: 8)
            writer.set(.bitsStored, uint16: 8)
            writer.set(.highBit, uint16: 7)
            writer.set(.pixelRepresentation, uint16: 0)
            writer.set(.pixelData, .OB, bytes: image.samples.map { UInt8(min($0, 255)) })
        } else {
            writer.set(.bitsAllocated, uint16: 16)
            writer.set(.bitsStored, uint16: UInt16(image.bitsStored))
            writer.set(.highBit, uint16: UInt16(image.bitsStored - 1))
            writer.set(.pixelRepresentation, uint16: 0)
            writer.set(.pixelData, .OW, bytes: image.littleEndianBytes)
        }
        return try writer.part10Bytes()
    }
}
