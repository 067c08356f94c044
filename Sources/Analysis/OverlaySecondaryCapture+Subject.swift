import DICOM

extension OverlaySecondaryCapture.Subject {
    /// The Patient and General Study modules of an object the analysis writes into the image's
    /// study (the UTF-8 character set, the patient and study as the box has them on file), and
    /// the SOP Common, General Series and Equipment attributes every such object shares.
    func write(
        into writer: inout Part10Writer, sopClassUID: String, sopInstanceUID: String, modality: String,
        seriesInstanceUID: String, seriesNumber: String, seriesDescription: String, softwareVersions: String
    ) {
        writer.set(.specificCharacterSet, .CS, "ISO_IR 192")
        writer.set(.sopClassUID, .UI, sopClassUID)
        writer.set(.sopInstanceUID, .UI, sopInstanceUID)
        writer.set(.studyDate, .DA, studyDate ?? "")
        writer.set(.studyTime, .TM, studyTime ?? "")
        writer.set(.accessionNumber, .SH, accessionNumber ?? "")
        writer.set(.modality, .CS, modality)
        writer.set(.manufacturer, .LO, "Fluorobox")
        writer.set(.softwareVersions, .LO, softwareVersions)
        writer.set(.referringPhysicianName, .PN, "")
        writer.set(.seriesDescription, .LO, seriesDescription)
        writer.set(.patientName, .PN, patientName ?? "")
        writer.set(.patientID, .LO, patientID ?? "")
        writer.set(.patientBirthDate, .DA, patientBirthDate ?? "")
        writer.set(.patientSex, .CS, patientSex ?? "")
        writer.set(.studyInstanceUID, .UI, studyInstanceUID)
        writer.set(.seriesInstanceUID, .UI, seriesInstanceUID)
        writer.set(.studyID, .SH, "")
        writer.set(.seriesNumber, .IS, seriesNumber)
        writer.set(.instanceNumber, .IS, "1")
    }
}
