import DICOM
import Foundation

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

    /// A native radiograph-like image: a smooth body with a little noise, `bitsStored` bits in 16
    /// (`highBits` set above them, as old overlay planes did). Compresses like a real one.
    public static func radiograph(
        rows: Int = 256, columns: Int = 192, frames: Int = 1, bitsStored: Int = 12, highBits: UInt16 = 0,
        signed: Bool = false, noise: Int = 6,
        sopInstanceUID: String = DICOMUID.random(), studyInstanceUID: String = DICOMUID.random()
    ) throws -> [UInt8] {
        var writer = Part10Writer()
        writer.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.1.1")
        writer.set(.sopInstanceUID, .UI, sopInstanceUID)
        writer.set(.studyInstanceUID, .UI, studyInstanceUID)
        writer.set(.seriesInstanceUID, .UI, DICOMUID.random())
        writer.set(.modality, .CS, "DX")
        writer.set(.patientName, .PN, "RECODE^TEST")
        writer.set(.patientID, .LO, "RC-1")
        writer.set(.samplesPerPixel, uint16: 1)
        writer.set(.photometricInterpretation, .CS, "MONOCHROME2")
        writer.set(.rows, uint16: UInt16(rows))
        writer.set(.columns, uint16: UInt16(columns))
        if frames > 1 { writer.set(.numberOfFrames, .IS, "\(frames)") }
        writer.set(.bitsAllocated, uint16: 16)
        writer.set(.bitsStored, uint16: UInt16(bitsStored))
        writer.set(.highBit, uint16: UInt16(bitsStored - 1))
        writer.set(.pixelRepresentation, uint16: signed ? 1 : 0)
        var generator = SystemRandomNumberGenerator()
        let top = (1 << bitsStored) - 1
        var pixels: [UInt8] = []
        pixels.reserveCapacity(rows * columns * frames * 2)
        for frame in 0..<frames {
            for row in 0..<rows {
                for column in 0..<columns {
                    let dx = Double(column - columns / 2) / Double(columns), dy = Double(row - rows / 2) / Double(rows)
                    let body = Double(top) * (0.2 + 0.6 * exp(-4 * (dx * dx + dy * dy))) + Double(frame * 17)
                    let value = min(top, max(0, Int(body) + Int.random(in: -noise...noise, using: &generator)))
                    let word = UInt16(value) | highBits
                    pixels += [UInt8(word & 0xFF), UInt8(word >> 8)]
                }
            }
        }
        writer.set(.pixelData, .OW, bytes: pixels)
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
