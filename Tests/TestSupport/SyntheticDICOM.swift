import DICOM

/// Small DICOM files made with the project's own writer, for tests that need many distinct ones.
public enum SyntheticDICOM {
    /// A Secondary Capture-like instance whose pixel payload is `payload` (any bytes).
    public static func make(
        sopInstanceUID: String = DICOMUID.random(), studyInstanceUID: String = DICOMUID.random(),
        patientName: String = "TEST^PATIENT", payload: [UInt8] = randomBytes(256),
        transferSyntaxOverride: String? = nil
    ) throws -> [UInt8] {
        var writer = Part10Writer()
        writer.set(.specificCharacterSet, .CS, "ISO_IR 192")
        writer.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.7")
        writer.set(.sopInstanceUID, .UI, sopInstanceUID)
        writer.set(.studyDate, .DA, "20261123")
        writer.set(.modality, .CS, "OT")
        writer.set(.patientName, .PN, patientName)
        writer.set(.patientID, .LO, "TEST-1")
        writer.set(.studyInstanceUID, .UI, studyInstanceUID)
        writer.set(.seriesInstanceUID, .UI, DICOMUID.random())
        writer.set(.pixelData, .OB, bytes: payload)
        return try writer.part10Bytes()
    }

    /// Eight bytes a draw: megabytes byte by byte take seconds of a debug build's pool.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                withUnsafeBytes(of: generator.next()) { word in
                    for byte in word where offset < buffer.count {
                        buffer[offset] = byte
                        offset += 1
                    }
                }
            }
        }
        return bytes
    }
}
