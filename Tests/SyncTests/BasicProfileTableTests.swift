import Crypto
import DICOM
import Foundation
@testable import Sync
import Testing

/// Walks the whole of PS3.15 Table E.1-1: one data set holding every attribute the table names
/// (with an identifying value), pseudonymised, then each attribute checked against its action.
@Suite("PS3.15 Table E.1-1, every row")
struct BasicProfileTableTests {
    static let secret = "SECRET"

    /// An identifying value that fits the VR; text ones carry SECRET where the VR allows letters.
    static func identifyingValue(_ vr: ValueRepresentation, index: Int) -> [UInt8] {
        switch vr {
        case .DA: Array("20240229".utf8)
        case .TM: Array("235959".utf8)
        case .DT: Array("20240229235959".utf8)
        case .AS: Array("042Y".utf8)
        case .IS: Array("42".utf8)
        case .DS: Array("4.2".utf8)
        case .UI: Array("1.2.826.0.1.3680043.10.9.\(index)".utf8)
        case .UR: Array("http://clinic.example/SECRET".utf8)
        case .AE, .CS, .SH: Array("SECRET \(index)".prefix(16).utf8)
        case .LO, .LT, .PN, .ST, .UC, .UT: Array("SECRET^\(index)".utf8)
        case .US, .SS: [0x2A, 0x00]
        case .UL, .SL, .FL, .AT: [0x2A, 0, 0, 0]
        case .FD, .SV, .UV: [0x2A, 0, 0, 0, 0, 0, 0, 0]
        case .OB, .OD, .OF, .OL, .OV, .OW, .UN: Array("SECRET\(index % 10)!".utf8)
        case .SQ: []
        }
    }

    static func item(_ elements: [[UInt8]]) -> [UInt8] {
        let content = elements.flatMap { $0 }
        let length = UInt32(content.count)
        return [0xFE, 0xFF, 0x00, 0xE0] + (0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) } + content
    }

    /// Rows that belong to the command set (0000) or the file meta group (0002), never to the
    /// data set the box copies.
    static let dataSetRows = BasicProfile.attributes.filter { $0.tag.group != 0x0000 && $0.tag.group != 0x0002 }

    static let uidsOnlyItem = item([
        PseudonymisationTests.element(0x0008, 0x1150, "UI", "1.2.840.10008.5.1.4.1.1.1.1"),
        PseudonymisationTests.element(0x0008, 0x1155, "UI", "1.2.826.0.1.3680043.10.9.1155"),
    ])
    static let personItem = item([PseudonymisationTests.element(0x0040, 0xA123, "PN", "SECRET^Person")])

    static func instance() throws -> [UInt8] {
        var writer = Part10Writer()
        for (index, row) in dataSetRows.enumerated() {
            if row.vr == .SQ {
                // X/Z/U* sequences reference images by UID; every other sequence holds a name.
                writer.set(row.tag, .SQ, bytes: row.code == .XZUStar ? uidsOnlyItem : personItem)
            } else {
                writer.set(row.tag, row.vr, bytes: identifyingValue(row.vr, index: index))
            }
        }
        writer.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.7")
        // The repeating-group rows: curve data, overlay data and comments.
        writer.set(Tag(0x5000, 0x3000), .OB, bytes: Array("SECRETCURVE!".utf8))
        writer.set(Tag(0x6000, 0x0010), .US, bytes: [8, 0])
        writer.set(Tag(0x6000, 0x3000), .OW, bytes: Array("SECRETOVERLAY!".utf8))
        writer.set(Tag(0x6002, 0x4000), .LT, bytes: Array("SECRET overlay comment".utf8))
        writer.set(.pixelData, .OB, bytes: [1, 2, 3, 4])
        return try writer.part10Bytes()
    }

    @Test("the table holds every Basic Profile row of PS3.15 2024b, including those the review found missing")
    func tableIsComplete() {
        #expect(BasicProfile.attributes.count == 617)
        #expect(Set(BasicProfile.attributes.map(\.tag)).count == BasicProfile.attributes.count, "a tag listed twice")
        let expected: [(UInt16, UInt16, BasicProfile.Code)] = [
            (0x0010, 0x2297, .X), (0x0010, 0x2299, .X), (0x0008, 0x009C, .Z), (0x0008, 0x009D, .X),
            (0x0040, 0x0006, .X), (0x0040, 0x0007, .X), (0x0040, 0x0009, .X), (0x0012, 0x0010, .D), (0x0012, 0x0071, .X),
            (0x0008, 0x0024, .X), (0x0008, 0x0025, .X), (0x0008, 0x0034, .X), (0x0008, 0x0035, .X),
            (0x0018, 0x9074, .D), (0x0018, 0x9151, .D), (0x0070, 0x0001, .D),
            (0x0040, 0xA027, .D), (0x0040, 0xA073, .D), (0x0040, 0xA075, .D),
            (0x0010, 0x0010, .Z), (0x0020, 0x000D, .U), (0x0008, 0x0080, .XZD), (0x0008, 0x2112, .XZUStar),
        ]
        for (group, element, code) in expected {
            #expect(BasicProfile.attributes.first { $0.tag == Tag(group, element) }?.code == code, "\(Tag(group, element))")
        }
        for code in BasicProfile.Code.allCases {
            #expect(BasicProfile.attributes.contains { $0.code == code }, "no row with \(code.rawValue)")
        }
    }

    @Test("a data set with every attribute of the table: X gone, Z empty, D a dummy, U kept, combinations as the box resolves them, nothing identifying left")
    func everyRowIsApplied() throws {
        let original = try Self.instance()
        let source = try DICOMFile(bytes: original).dataSet
        for row in Self.dataSetRows {
            #expect(source.contains(row.tag), "the test instance lacks \(row.tag) \(row.name)")
        }
        let pseudonymiser = Pseudonymiser(key: SymmetricKey(size: .bits256))
        let copy = try pseudonymiser.pseudonymise(original)
        let data = try DICOMFile(bytes: copy).dataSet
        let pseudonym = pseudonymiser.pseudonym(patientID: try #require(source.string(Tag(0x0010, 0x0020))))

        for row in Self.dataSetRows {
            let label = "\(row.tag) \(row.name) (\(row.code.rawValue), \(row.vr.rawValue))"
            let before = source[row.tag], after = data[row.tag]
            switch row.code {
            case .X, .XZ, .XD, .XZD:
                #expect(after == nil, "\(label) must be removed")
            case .Z, .ZD:
                if row.tag == Tag(0x0010, 0x0010) || row.tag == Tag(0x0010, 0x0020) {
                    #expect(data.string(row.tag) == pseudonym, "\(label) must carry the pseudonym")
                } else {
                    #expect(after != nil && (after?.valueLength == 0 || after?.items?.isEmpty == true), "\(label) must be present and empty")
                }
            case .D:
                #expect(after != nil, "\(label) must be present with a dummy value")
                if row.vr == .SQ {
                    #expect(after?.items?.isEmpty == true, "\(label): a dummy sequence keeps no items")
                } else {
                    #expect((after?.valueLength ?? 0) > 0 && after?.bytes.map(Array.init) != before?.bytes.map(Array.init),
                            "\(label) must hold a dummy value, not the original")
                }
            case .U:
                #expect(after?.bytes.map(Array.init) == before?.bytes.map(Array.init), "\(label) must be kept (Retain UIDs Option)")
            case .XZUStar:
                // Kept with the UIDs it references, as the Retain UIDs Option keeps UIDs.
                #expect(data.sequence(row.tag)?.first?.string(Tag(0x0008, 0x1155)) == "1.2.826.0.1.3680043.10.9.1155", "\(label)")
            }
        }
        for tag in [Tag(0x5000, 0x3000), Tag(0x6000, 0x3000), Tag(0x6002, 0x4000)] {
            #expect(!data.contains(tag), "\(tag) (curve or overlay) must be removed")
        }
        #expect(data.contains(Tag(0x6000, 0x0010)), "overlay geometry is no identity and stays")
        #expect(data[.pixelData]?.bytes.map(Array.init) == [1, 2, 3, 4])
        let text = String(decoding: copy, as: UTF8.self)
        #expect(!text.contains(Self.secret), "identifying text is left in the copy")
    }

    @Test("an X/Z/U* sequence that holds more than UIDs is removed whole")
    func referencedImageSequenceWithAName() throws {
        var writer = Part10Writer()
        writer.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.7")
        writer.set(.sopInstanceUID, .UI, "1.2.3.4")
        writer.set(Tag(0x0008, 0x1140), .SQ, bytes: Self.personItem)
        let copy = try Pseudonymiser(key: SymmetricKey(size: .bits256)).pseudonymise(try writer.part10Bytes())
        #expect(try !DICOMFile(bytes: copy).dataSet.contains(Tag(0x0008, 0x1140)))
    }
}
