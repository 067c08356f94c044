import DICOM
import Imaging

/// The demo study a newcomer sees after the first start: a synthetic chest phantom written as
/// a DX instance. Its patient is plainly fictitious and its description says what it is.
public enum DemoStudy {
    /// Digital X-Ray Image Storage - For Presentation.
    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.1.1"

    /// Part 10 bytes of a 12-bit 1024×1024 (by default) demo radiograph; fresh UIDs each time.
    public static func makePart10(seed: UInt64 = 1, size: Int = 1024, date: String = "20261123") throws -> [UInt8] {
        let image = ChestPhantom(width: size, height: size, seed: seed).render()
        var writer = Part10Writer()
        writer.set(.specificCharacterSet, .CS, "ISO_IR 192")
        writer.set(.imageType, .CS, "DERIVED\\PRIMARY")
        writer.set(.sopClassUID, .UI, sopClassUID)
        writer.set(.sopInstanceUID, .UI, DICOMUID.random())
        writer.set(.studyDate, .DA, date)
        writer.set(.contentDate, .DA, date)
        writer.set(.studyTime, .TM, "090000")
        writer.set(.contentTime, .TM, "090000")
        writer.set(.accessionNumber, .SH, "DEMO\(seed)")
        writer.set(.modality, .CS, "DX")
        writer.set(.manufacturer, .LO, "Fluorobox demo")
        writer.set(.referringPhysicianName, .PN, "")
        writer.set(.studyDescription, .LO, "Demo chest phantom (synthetic, not a patient)")
        writer.set(.seriesDescription, .LO, "PA")
        writer.set(.patientName, .PN, "DEMO^PHANTOM")
        writer.set(.patientID, .LO, "DEMO-\(seed)")
        writer.set(.patientBirthDate, .DA, "19700101")
        writer.set(.patientSex, .CS, "O")
        writer.set(.bodyPartExamined, .CS, "CHEST")
        writer.set(.viewPosition, .CS, "PA")
        writer.setSingleImage(
            studyInstanceUID: DICOMUID.random(), seriesInstanceUID: DICOMUID.random(), patientOrientation: "L\\F",
            width: image.width, height: image.height
        )
        writer.set(.pixelSpacing, .DS, "0.35\\0.35")
        writer.set(.bitsAllocated, uint16: 16)
        writer.set(.bitsStored, uint16: 12)
        writer.set(.highBit, uint16: 11)
        writer.set(.pixelRepresentation, uint16: 0)
        writer.set(.windowCenter, .DS, "1500")
        writer.set(.windowWidth, .DS, "3000")
        writer.set(.rescaleIntercept, .DS, "0")
        writer.set(.rescaleSlope, .DS, "1")
        writer.set(.pixelData, .OW, bytes: image.littleEndianBytes)
        return try writer.part10Bytes()
    }
}
