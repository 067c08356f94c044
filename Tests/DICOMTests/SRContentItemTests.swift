import FluoroboxTestSupport
import Foundation
import Testing
@testable import DICOM

/// Sequences in the Part 10 writer and SR content trees written and read back.
@Suite("Structured Report content items and sequences")
struct SRContentItemTests {
    static let image = SRContentItem.Value.image(sopClassUID: "1.2.840.10008.5.1.4.1.1.1.1", sopInstanceUID: "1.2.3.4.5")

    static var tree: SRContentItem {
        SRContentItem(nil, CodedConcept("126000", "DCM", "Imaging Measurement Report"), .container(template: "1500"), children: [
            SRContentItem(.hasObservationContext, CodedConcept("121012", "DCM", "Device Observer UID"), .uidReference("2.25.1")),
            SRContentItem(.contains, CodedConcept("a-label-longer-than-sixteen", "99TEST", "Long"), .code(CodedConcept("373066001", "SCT", "Yes"))),
            SRContentItem(.contains, CodedConcept("111012", "DCM", "Certainty of Finding"), .number("43.9", units: CodedConcept("%", "UCUM", "Percent")), children: [
                SRContentItem(.inferredFrom, CodedConcept("111010", "DCM", "Center"), .spatialCoordinates(graphicType: "POINT", points: [108.5, 227.25]), children: [
                    SRContentItem(.selectedFrom, nil, image),
                ]),
            ]),
            SRContentItem(.contains, CodedConcept("121106", "DCM", "Comment"), .text("odd length é")),
        ])
    }

    @Test("a content tree written into a file reads back item for item: relationships, names, values, nesting; long code values go to Long Code Value")
    func roundTrip() throws {
        var writer = Part10Writer()
        writer.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.88.33")
        writer.set(.sopInstanceUID, .UI, "1.2.3.9")
        writer.set(.specificCharacterSet, .CS, "ISO_IR 192")
        writer.set(.referencedPerformedProcedureStepSequence, items: [])
        Self.tree.write(into: &writer)
        let file = try DICOMFile(bytes: try writer.part10Bytes())
        // An empty type 2 sequence is present with no items.
        #expect(file.dataSet.sequence(.referencedPerformedProcedureStepSequence)?.isEmpty == true)
        let read = try SRContentItem(reading: file.dataSet)
        #expect(read.name == Self.tree.name && read.value == .container(template: "1500") && read.relationship == nil)
        #expect(read.descendants.map(\.relationship) == Self.tree.descendants.map(\.relationship))
        #expect(read.descendants.map(\.name) == Self.tree.descendants.map(\.name))
        #expect(read.descendants.map(\.value) == Self.tree.descendants.map(\.value))
        let long = try #require(file.dataSet.sequence(.contentSequence)?[1].sequence(.conceptNameCodeSequence)?.first)
        #expect(long.string(.longCodeValue) == "a-label-longer-than-sixteen" && long.string(.codeValue) == nil)
    }

    @Test("dcmtk's dsrdump reads the tree the writer makes", .enabled(if: tool("dsrdump") != nil, "dsrdump (dcmtk) is not installed"))
    func dcmtkReads() async throws {
        var writer = Part10Writer()
        writer.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.88.33")
        writer.set(.sopInstanceUID, .UI, "1.2.3.9")
        writer.set(.modality, .CS, "SR")
        writer.set(.specificCharacterSet, .CS, "ISO_IR 192")
        writer.set(.studyInstanceUID, .UI, "1.2.3")
        writer.set(.seriesInstanceUID, .UI, "1.2.3.8")
        writer.set(.completionFlag, .CS, "COMPLETE")
        writer.set(.verificationFlag, .CS, "UNVERIFIED")
        Self.tree.write(into: &writer)
        let folder = TemporaryDirectory("sr-items")
        let path = try folder.write("tree.dcm", try writer.part10Bytes())
        let dump = try await ProcessRunner.run(tool("dsrdump")!, ["+Pc", path])
        #expect(dump.status == 0, "\(dump.stderr)")
        #expect(dump.stdout.contains("(POINT,108.5/227.25)") && dump.stdout.contains("\"43.9\" (%,UCUM,\"Percent\")"), "\(dump.stdout)")
    }

    @Test("an item whose value type the reader does not know, or that lacks its value, is an error, not a silent gap")
    func refusals() throws {
        func read(_ change: (inout Part10Writer) -> Void) throws -> SRContentItem {
            var writer = Part10Writer()
            writer.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.88.33")
            writer.set(.sopInstanceUID, .UI, "1.2.3.9")
            SRContentItem(nil, CodedConcept("126000", "DCM", "Imaging Measurement Report"), .container(template: nil)).write(into: &writer)
            change(&writer)
            return try SRContentItem(reading: try DICOMFile(bytes: try writer.part10Bytes()).dataSet)
        }
        #expect(throws: DICOMAttributeError.self) { try read { $0.set(.valueType, .CS, "WAVEFORM") } }
        #expect(throws: DICOMAttributeError.self) { try read { $0.set(.valueType, .CS, "TEXT") } }
        #expect(throws: DICOMAttributeError.self) { try read { $0.set(.relationshipType, .CS, "OWNS") } }
        #expect(try read { _ in }.value == .container(template: nil))
    }
}
