import FluoroboxTestSupport
import Foundation
import Testing
@testable import DICOM

@Suite("Recognising DICOM files with and without preamble and meta")
struct FileFormatTests {
    static let dataSet = ElementBytes.imageHeader(rows: 1, columns: 2, bitsStored: 16) + ElementBytes.element(0x7FE0, 0x0010, "OW", [1, 0, 2, 0])

    @Test("Part 10, meta without preamble, and a bare data set are each detected")
    func formats() throws {
        let part10 = ElementBytes.part10(Self.dataSet)
        #expect(DICOMFile.sniff(part10) == .part10)
        let withoutPreamble = Array(part10.dropFirst(132))
        #expect(DICOMFile.sniff(withoutPreamble) == .metaWithoutPreamble)
        #expect(try DICOMFile(bytes: withoutPreamble).meta?.transferSyntax == .explicitVRLittleEndian)
        #expect(DICOMFile.sniff(Self.dataSet) == .acrNema)
        let bare = try DICOMFile(bytes: Self.dataSet)
        #expect(bare.transferSyntax == .explicitVRLittleEndian && bare.format == .acrNema)
        #expect(try DICOMImage(file: bare).frames == [[1, 2]])
        let identity = try InstanceIdentity(fileBytes: Self.dataSet)
        #expect(identity.sopInstanceUID == "1.2.3.4.5" && identity.studyInstanceUID == "1.2.3.4")
    }

    @Test("other files that start with small numbers are not taken for data sets")
    func notDICOM() throws {
        let finderIndex: [UInt8] = [0, 0, 0, 1] + Array("Bud1".utf8) + [UInt8](repeating: 0, count: 64)
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 0, count: 32)
        let text = Array("patient list\nDOE^JOHN\n".utf8)
        let zeros = [UInt8](repeating: 0, count: 512)
        // Tags that go backwards: a binary header that happens to begin with 08 00.
        let backwards: [UInt8] = [8, 0, 0x20, 0, 2, 0, 0, 0, 1, 2, 8, 0, 0x10, 0, 2, 0, 0, 0, 1, 2]
        for bytes in [finderIndex, png, text, zeros, backwards] {
            #expect(DICOMFile.sniff(bytes) == nil)
            #expect(throws: DICOMParseError.self) { try DICOMFile(bytes: bytes) }
        }
    }

    @Test("a file labelled explicit VR whose data set is implicit is read as implicit, as pydicom does")
    func mislabelledImplicit() throws {
        // Implicit VR encoding of the SOP Instance UID, Rows and Columns.
        var implicit: [UInt8] = []
        func add(_ group: UInt16, _ element: UInt16, _ value: [UInt8]) {
            implicit += ElementBytes.tag(group, element) + ElementBytes.le32(UInt32(value.count)) + value
        }
        add(0x0008, 0x0018, Array("1.2.3.4.5\0".utf8))
        add(0x0028, 0x0010, [1, 0])
        let file = try DICOMFile(bytes: ElementBytes.part10(implicit))
        #expect(file.dataSet.string(.sopInstanceUID) == "1.2.3.4.5")
        #expect(try file.dataSet.integer(.rows) == 1)
    }
}
