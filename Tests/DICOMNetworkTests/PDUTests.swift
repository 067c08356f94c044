import DICOM
@testable import DICOMNetwork
import NIOCore
import Testing

@Suite("PDUs: round trips and hostile input")
struct PDUTests {
    let limits = PDULimits(maximumDataPDULength: 16_384)

    func roundTrip(_ pdu: PDU) throws -> PDU {
        var buffer = pdu.encoded()
        let parsed = try #require(try PDUParser.parse(&buffer, limits: limits))
        #expect(buffer.readableBytes == 0)
        return parsed
    }

    static let request = AssociateRequest(
        calledAETitle: "FLUOROBOX", callingAETitle: "MODALITY",
        presentationContexts: [
            ProposedPresentationContext(id: 1, abstractSyntax: SOPClass.verification, transferSyntaxes: ["1.2.840.10008.1.2"]),
            ProposedPresentationContext(id: 3, abstractSyntax: "1.2.840.10008.5.1.4.1.1.1.1", transferSyntaxes: ["1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.1"]),
        ],
        userInformation: UserInformation(
            maximumLength: 32_768, implementationClassUID: "1.2.3.4.5", implementationVersionName: "TEST_1",
            roleSelections: [RoleSelection(abstractSyntax: "1.2.840.10008.5.1.4.1.1.1.1", scuRole: true, scpRole: false)],
            asynchronousOperationsWindow: (1, 1)
        )
    )

    @Test("every PDU type survives encode and parse")
    func roundTrips() throws {
        #expect(try roundTrip(.associateRequest(Self.request)) == .associateRequest(Self.request))
        let accept = AssociateAccept(
            calledAETitle: "FLUOROBOX", callingAETitle: "MODALITY",
            presentationContexts: [
                PresentationContextResult(id: 1, result: .acceptance, transferSyntax: "1.2.840.10008.1.2"),
                PresentationContextResult(id: 3, result: .transferSyntaxesNotSupported, transferSyntax: "1.2.840.10008.1.2.4.51"),
            ],
            userInformation: UserInformation(maximumLength: 0, implementationClassUID: "1.2.3")
        )
        #expect(try roundTrip(.associateAccept(accept)) == .associateAccept(accept))
        #expect(try roundTrip(.associateReject(.calledAETitleNotRecognised)) == .associateReject(.calledAETitleNotRecognised))
        #expect(try roundTrip(.releaseRequest) == .releaseRequest)
        #expect(try roundTrip(.releaseResponse) == .releaseResponse)
        #expect(try roundTrip(.abort(AbortPDU(source: .serviceProvider, reason: .unexpectedPDU))) == .abort(AbortPDU(source: .serviceProvider, reason: .unexpectedPDU)))
        let values = [
            PresentationDataValue(contextID: 3, isCommand: true, isLastFragment: true, data: ByteBuffer(bytes: [1, 2, 3, 4])),
            PresentationDataValue(contextID: 3, isCommand: false, isLastFragment: false, data: ByteBuffer(bytes: [9, 8, 7])),
        ]
        #expect(try roundTrip(.data(values)) == .data(values))
    }

    @Test("the bytes of an A-ASSOCIATE-RQ follow PS3.8 9.3.2")
    func requestLayout() {
        let bytes = Array(buffer: PDU.associateRequest(Self.request).encoded())
        #expect(bytes[0] == 0x01)
        let length = Int(bytes[2]) << 24 | Int(bytes[3]) << 16 | Int(bytes[4]) << 8 | Int(bytes[5])
        #expect(length == bytes.count - 6)
        #expect(bytes[6] == 0 && bytes[7] == 1)
        #expect(String(decoding: bytes[10..<26], as: UTF8.self) == "FLUOROBOX       ")
        #expect(String(decoding: bytes[26..<42], as: UTF8.self) == "MODALITY        ")
        #expect(bytes[74] == 0x10)
    }

    @Test("a partial PDU waits for more bytes and consumes nothing")
    func partial() throws {
        let whole = Array(buffer: PDU.associateRequest(Self.request).encoded())
        for cut in [0, 3, 6, 50, whole.count - 1] {
            var buffer = ByteBuffer(bytes: whole[0..<cut])
            #expect(try PDUParser.parse(&buffer, limits: limits) == nil)
            #expect(buffer.readableBytes == cut)
        }
    }

    func expectFailure(_ bytes: [UInt8], _ code: DICOMNetworkError.Code, sourceLocation: SourceLocation = #_sourceLocation) {
        var buffer = ByteBuffer(bytes: bytes)
        #expect(sourceLocation: sourceLocation, performing: { _ = try PDUParser.parse(&buffer, limits: limits) }, throws: { error in
            (error as? DICOMNetworkError)?.code == code
        })
    }

    static func header(_ type: UInt8, _ length: UInt32) -> [UInt8] {
        [type, 0, UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
    }

    @Test("a length beyond the limit is refused from the header alone, before the body arrives")
    func hugeLengths() throws {
        expectFailure(Self.header(0x04, 0xFFFF_FFFF), .pduTooLong)
        expectFailure(Self.header(0x04, 16_385), .pduTooLong)
        expectFailure(Self.header(0x01, 300_000), .pduTooLong)
        expectFailure(Self.header(0x05, 5) + [0, 0, 0, 0, 0], .pduTooLong)
        var atLimit = ByteBuffer(bytes: Self.header(0x04, 16_384))
        #expect(try PDUParser.parse(&atLimit, limits: limits) == nil)
    }

    @Test("unknown PDU types, bad fixed PDUs and damaged items are typed errors with an abort reason")
    func damaged() throws {
        expectFailure(Self.header(0x09, 4) + [0, 0, 0, 0], .unrecognisedPDU)
        expectFailure(Self.header(0x05, 2) + [0, 0], .malformedPDU)
        expectFailure(Self.header(0x03, 4) + [0, 7, 9, 1], .malformedPDU)
        // P-DATA: PDV shorter than its 2-byte header, PDV running past the PDU, empty PDU.
        expectFailure(Self.header(0x04, 5) + [0, 0, 0, 1, 1], .malformedPDU)
        expectFailure(Self.header(0x04, 8) + [0, 0, 0, 9, 1, 3, 0, 0], .malformedPDU)
        expectFailure(Self.header(0x04, 0), .malformedPDU)

        let good = Array(buffer: PDU.associateRequest(Self.request).encoded())
        // Fixed part too short.
        expectFailure(Self.header(0x01, 20) + [UInt8](repeating: 0x20, count: 20), .malformedPDU)
        // The application context item claims more bytes than there are.
        var lying = good
        lying[76] = 0xFF; lying[77] = 0xFF
        expectFailure(lying, .malformedPDU)
        // A presentation context with an even ID.
        var even = good
        let contextItem = try #require(good.indices.first { good[$0] == 0x20 && $0 > 74 })
        even[contextItem + 4] = 2
        expectFailure(even, .malformedPDU)
        #expect(DICOMNetworkError(.malformedPDU, "").abortReason == .invalidPDUParameterValue)
        #expect(DICOMNetworkError(.unrecognisedPDU, "").abortReason == .unrecognisedPDU)
    }

    @Test("counts are bounded: 129 presentation contexts, 65 transfer syntaxes, over-long UIDs")
    func counts() {
        var many = Self.request
        many.presentationContexts = (0..<129).map { ProposedPresentationContext(id: UInt8(($0 * 2 + 1) % 256), abstractSyntax: "1.2.3", transferSyntaxes: ["1.2.840.10008.1.2"]) }
        expectFailure(Array(buffer: PDU.associateRequest(many).encoded()), .malformedPDU)
        var syntaxes = Self.request
        syntaxes.presentationContexts = [ProposedPresentationContext(id: 1, abstractSyntax: "1.2.3", transferSyntaxes: Array(repeating: "1.2.840.10008.1.2", count: 65))]
        expectFailure(Array(buffer: PDU.associateRequest(syntaxes).encoded()), .malformedPDU)
        var longUID = Self.request
        longUID.presentationContexts = [ProposedPresentationContext(id: 1, abstractSyntax: String(repeating: "1.", count: 40) + "1", transferSyntaxes: ["1.2.840.10008.1.2"])]
        expectFailure(Array(buffer: PDU.associateRequest(longUID).encoded()), .malformedPDU)
        var duplicate = Self.request
        duplicate.presentationContexts = [Self.request.presentationContexts[0], Self.request.presentationContexts[0]]
        expectFailure(Array(buffer: PDU.associateRequest(duplicate).encoded()), .malformedPDU)
    }

    @Test("garbage of every length never crashes the parser")
    func randomBytes() {
        var generator = SystemRandomNumberGenerator()
        let seed = Array(buffer: PDU.associateRequest(Self.request).encoded())
        for round in 0..<3000 {
            var bytes = round % 2 == 0 ? seed : (0..<Int.random(in: 0..<200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if round % 2 == 0 {
                for _ in 0..<Int.random(in: 1...6, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            }
            var buffer = ByteBuffer(bytes: bytes)
            _ = try? PDUParser.parse(&buffer, limits: limits)
        }
    }
}

@Suite("DIMSE command sets")
struct DIMSECommandTests {
    @Test("a C-STORE request and its response survive encode and decode")
    func roundTrip() throws {
        let request = DIMSECommand.storeRequest(messageID: 7, sopClassUID: "1.2.840.10008.5.1.4.1.1.1.1", sopInstanceUID: "1.2.3.4.5")
        let decoded = try DIMSECommand(decoding: request.encoded())
        #expect(decoded == request)
        let response = request.response(status: .outOfResources, comment: "store full\\ now")
        let back = try DIMSECommand(decoding: response.encoded())
        #expect(back.commandField == 0x8001 && back.messageIDBeingRespondedTo == 7 && back.status == .outOfResources)
        #expect(back.errorComment == "store full now")
        #expect(!back.hasDataSet)
    }

    @Test("the group length element counts the bytes after it")
    func groupLength() {
        let bytes = Array(buffer: DIMSECommand.echoRequest(messageID: 1).encoded())
        let length = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        #expect(length == bytes.count - 12)
    }

    @Test("damaged command sets are typed errors")
    func damaged() {
        func expectBad(_ bytes: [UInt8]) {
            #expect(throws: DICOMNetworkError.self) { _ = try DIMSECommand(decoding: ByteBuffer(bytes: bytes)) }
        }
        // Length past the end, wrong group, US with 4 bytes, no command field, header cut short.
        expectBad([0, 0, 0x00, 0x01, 0xFF, 0xFF, 0, 0, 1, 0])
        expectBad([8, 0, 0x16, 0x00, 2, 0, 0, 0, 1, 0])
        expectBad([0, 0, 0x00, 0x01, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0x00, 0x08, 2, 0, 0, 0, 1, 1])
        expectBad([0, 0, 0x00, 0x08, 2, 0, 0, 0, 1, 1])
        expectBad([0, 0, 0x00])
    }
}
