import NIOCore

/// Reads PDUs from bytes (PS3.8 section 9.3). Every length is checked against the bytes that are
/// left and against ``PDULimits`` before anything is read or allocated; what does not fit is a
/// ``DICOMNetworkError`` whose ``DICOMNetworkError/abortReason`` is the answer to the peer.
public enum PDUParser {
    public static let headerLength = 6

    /// Parses one PDU from the front of `buffer` and consumes it; nil (nothing consumed) when the
    /// PDU is not complete yet. A header that announces a PDU longer than the limits allow throws
    /// at once, before its body arrives.
    public static func parse(_ buffer: inout ByteBuffer, limits: PDULimits) throws(DICOMNetworkError) -> PDU? {
        guard buffer.readableBytes >= headerLength else { return nil }
        let start = buffer.readerIndex
        let typeByte = buffer.getInteger(at: start, as: UInt8.self)!
        let length = Int(buffer.getInteger(at: start + 2, endianness: .big, as: UInt32.self)!)
        guard let kind = PDU.Kind(rawValue: typeByte) else {
            throw DICOMNetworkError(.unrecognisedPDU, "PDU type 0x\(String(typeByte, radix: 16))")
        }
        let maximum = limits.maximumLength(of: kind)
        guard length <= maximum else {
            throw DICOMNetworkError(.pduTooLong, "\(kind) PDU of \(length) bytes, at most \(maximum) allowed")
        }
        guard buffer.readableBytes >= headerLength + length else { return nil }
        var body = buffer.getSlice(at: start + headerLength, length: length)!
        buffer.moveReaderIndex(forwardBy: headerLength + length)
        return try parseBody(kind: kind, body: &body, limits: limits)
    }

    /// Parses a PDU body (the bytes after the 6-byte header) of a known type.
    public static func parseBody(kind: PDU.Kind, body: inout ByteBuffer, limits: PDULimits) throws(DICOMNetworkError) -> PDU {
        switch kind {
        case .associateRequest:
            let parsed = try parseAssociation(&body, isRequest: true, limits: limits)
            var request = AssociateRequest(
                calledAETitle: parsed.called, callingAETitle: parsed.calling,
                presentationContexts: parsed.proposed, userInformation: parsed.userInformation
            )
            request.applicationContextName = parsed.applicationContext
            request.protocolVersion = parsed.version
            return .associateRequest(request)
        case .associateAccept:
            let parsed = try parseAssociation(&body, isRequest: false, limits: limits)
            var accept = AssociateAccept(
                calledAETitle: parsed.called, callingAETitle: parsed.calling,
                presentationContexts: parsed.results, userInformation: parsed.userInformation
            )
            accept.applicationContextName = parsed.applicationContext
            accept.protocolVersion = parsed.version
            return .associateAccept(accept)
        case .associateReject:
            let bytes = try fixedFour(&body, kind)
            guard let result = AssociateReject.Result(rawValue: bytes[1]),
                  let source = AssociateReject.Source(rawValue: bytes[2]) else {
                throw DICOMNetworkError(.malformedPDU, "A-ASSOCIATE-RJ with result \(bytes[1]) and source \(bytes[2])")
            }
            return .associateReject(AssociateReject(result: result, source: source, reason: bytes[3]))
        case .data:
            return .data(try parseData(&body))
        case .releaseRequest:
            _ = try fixedFour(&body, kind)
            return .releaseRequest
        case .releaseResponse:
            _ = try fixedFour(&body, kind)
            return .releaseResponse
        case .abort:
            let bytes = try fixedFour(&body, kind)
            // Source 1 is reserved; read it as the provider rather than refusing an abort.
            let source = AbortPDU.Source(rawValue: bytes[2]) ?? .serviceProvider
            return .abort(AbortPDU(source: source, rawReason: bytes[3]))
        }
    }

    private static func fixedFour(_ body: inout ByteBuffer, _ kind: PDU.Kind) throws(DICOMNetworkError) -> [UInt8] {
        guard body.readableBytes == 4, let bytes = body.readBytes(length: 4) else {
            throw DICOMNetworkError(.malformedPDU, "\(kind) PDU must be 4 bytes long, found \(body.readableBytes)")
        }
        return bytes
    }

    // MARK: P-DATA-TF

    private static func parseData(_ body: inout ByteBuffer) throws(DICOMNetworkError) -> [PresentationDataValue] {
        var values: [PresentationDataValue] = []
        guard body.readableBytes > 0 else {
            throw DICOMNetworkError(.malformedPDU, "P-DATA-TF without presentation data values")
        }
        while body.readableBytes > 0 {
            guard let itemLength = body.readInteger(endianness: .big, as: UInt32.self) else {
                throw DICOMNetworkError(.malformedPDU, "P-DATA-TF ends inside a PDV item header")
            }
            guard itemLength >= 2, Int(itemLength) <= body.readableBytes else {
                throw DICOMNetworkError(.malformedPDU, "PDV item length \(itemLength) with \(body.readableBytes) bytes left")
            }
            let contextID = body.readInteger(as: UInt8.self)!
            let header = body.readInteger(as: UInt8.self)!
            let data = body.readSlice(length: Int(itemLength) - 2)!
            values.append(PresentationDataValue(
                contextID: contextID, isCommand: header & 0x01 != 0, isLastFragment: header & 0x02 != 0, data: data
            ))
        }
        return values
    }

    // MARK: A-ASSOCIATE-RQ and -AC

    private struct ParsedAssociation {
        var version: UInt16 = 0
        var called = ""
        var calling = ""
        var applicationContext = ""
        var proposed: [ProposedPresentationContext] = []
        var results: [PresentationContextResult] = []
        var userInformation = UserInformation(maximumLength: 0, implementationClassUID: "")
    }

    private static func parseAssociation(_ body: inout ByteBuffer, isRequest: Bool, limits: PDULimits) throws(DICOMNetworkError) -> ParsedAssociation {
        let name = isRequest ? "A-ASSOCIATE-RQ" : "A-ASSOCIATE-AC"
        guard body.readableBytes >= 68 else {
            throw DICOMNetworkError(.malformedPDU, "\(name) shorter than its 68-byte fixed part")
        }
        var parsed = ParsedAssociation()
        parsed.version = body.readInteger(endianness: .big, as: UInt16.self)!
        body.moveReaderIndex(forwardBy: 2)
        parsed.called = aeTitle(body.readBytes(length: 16)!)
        parsed.calling = aeTitle(body.readBytes(length: 16)!)
        body.moveReaderIndex(forwardBy: 32)
        var sawApplicationContext = false, sawUserInformation = false
        var items = 0
        var contextIDs: Set<UInt8> = []
        while body.readableBytes > 0 {
            items += 1
            guard items <= limits.maximumItems else {
                throw DICOMNetworkError(.malformedPDU, "\(name) with more than \(limits.maximumItems) items")
            }
            let (type, item) = try readItem(&body, in: name)
            var content = item
            switch type {
            case 0x10:
                parsed.applicationContext = try uid(content, what: "application context name")
                sawApplicationContext = true
            case 0x20 where isRequest:
                let context = try parseProposedContext(&content, limits: limits)
                guard contextIDs.insert(context.id).inserted else {
                    throw DICOMNetworkError(.malformedPDU, "presentation context ID \(context.id) proposed twice")
                }
                parsed.proposed.append(context)
            case 0x21 where !isRequest:
                parsed.results.append(try parseContextResult(&content))
            case 0x50:
                guard !sawUserInformation else { throw DICOMNetworkError(.malformedPDU, "two user information items") }
                parsed.userInformation = try parseUserInformation(&content, limits: limits)
                sawUserInformation = true
            default:
                // Unknown items are skipped, as PS3.8 section 9.3.1 asks of a receiver.
                continue
            }
            guard parsed.proposed.count + parsed.results.count <= limits.maximumPresentationContexts else {
                throw DICOMNetworkError(.malformedPDU, "more than \(limits.maximumPresentationContexts) presentation contexts")
            }
        }
        guard sawApplicationContext else {
            throw DICOMNetworkError(.malformedPDU, "\(name) without an application context item")
        }
        return parsed
    }

    /// One item header (type, reserved, 16-bit length) and its content as a slice.
    private static func readItem(_ body: inout ByteBuffer, in name: String) throws(DICOMNetworkError) -> (UInt8, ByteBuffer) {
        guard body.readableBytes >= 4 else {
            throw DICOMNetworkError(.malformedPDU, "\(name) ends inside an item header")
        }
        let type = body.readInteger(as: UInt8.self)!
        body.moveReaderIndex(forwardBy: 1)
        let length = Int(body.readInteger(endianness: .big, as: UInt16.self)!)
        guard length <= body.readableBytes else {
            throw DICOMNetworkError(.malformedPDU, "item 0x\(String(type, radix: 16)) of \(length) bytes with \(body.readableBytes) left in \(name)")
        }
        return (type, body.readSlice(length: length)!)
    }

    private static func parseProposedContext(_ content: inout ByteBuffer, limits: PDULimits) throws(DICOMNetworkError) -> ProposedPresentationContext {
        guard content.readableBytes >= 4 else {
            throw DICOMNetworkError(.malformedPDU, "presentation context item shorter than 4 bytes")
        }
        let id = content.readInteger(as: UInt8.self)!
        content.moveReaderIndex(forwardBy: 3)
        guard id % 2 == 1 else {
            throw DICOMNetworkError(.malformedPDU, "presentation context ID \(id) is not odd")
        }
        var abstractSyntax: String?
        var transferSyntaxes: [String] = []
        while content.readableBytes > 0 {
            let (type, sub) = try readItem(&content, in: "presentation context \(id)")
            switch type {
            case 0x30:
                guard abstractSyntax == nil else {
                    throw DICOMNetworkError(.malformedPDU, "presentation context \(id) names two abstract syntaxes")
                }
                abstractSyntax = try uid(sub, what: "abstract syntax")
            case 0x40:
                guard transferSyntaxes.count < limits.maximumTransferSyntaxesPerContext else {
                    throw DICOMNetworkError(.malformedPDU, "presentation context \(id) proposes more than \(limits.maximumTransferSyntaxesPerContext) transfer syntaxes")
                }
                transferSyntaxes.append(try uid(sub, what: "transfer syntax"))
            default:
                throw DICOMNetworkError(.malformedPDU, "unexpected sub-item 0x\(String(type, radix: 16)) in presentation context \(id)")
            }
        }
        guard let abstractSyntax, !transferSyntaxes.isEmpty else {
            throw DICOMNetworkError(.malformedPDU, "presentation context \(id) lacks an abstract syntax or a transfer syntax")
        }
        return ProposedPresentationContext(id: id, abstractSyntax: abstractSyntax, transferSyntaxes: transferSyntaxes)
    }

    private static func parseContextResult(_ content: inout ByteBuffer) throws(DICOMNetworkError) -> PresentationContextResult {
        guard content.readableBytes >= 4 else {
            throw DICOMNetworkError(.malformedPDU, "presentation context result shorter than 4 bytes")
        }
        let id = content.readInteger(as: UInt8.self)!
        content.moveReaderIndex(forwardBy: 1)
        let rawResult = content.readInteger(as: UInt8.self)!
        content.moveReaderIndex(forwardBy: 1)
        guard let result = PresentationContextResult.Result(rawValue: rawResult) else {
            throw DICOMNetworkError(.malformedPDU, "presentation context \(id) result \(rawResult)")
        }
        var transferSyntax = ""
        while content.readableBytes > 0 {
            let (type, sub) = try readItem(&content, in: "presentation context result \(id)")
            if type == 0x40 { transferSyntax = sub.readableBytes == 0 ? "" : try uid(sub, what: "transfer syntax") }
        }
        return PresentationContextResult(id: id, result: result, transferSyntax: transferSyntax)
    }

    private static func parseUserInformation(_ content: inout ByteBuffer, limits: PDULimits) throws(DICOMNetworkError) -> UserInformation {
        var information = UserInformation(maximumLength: 0, implementationClassUID: "")
        var count = 0
        while content.readableBytes > 0 {
            count += 1
            guard count <= limits.maximumUserInformationItems else {
                throw DICOMNetworkError(.malformedPDU, "more than \(limits.maximumUserInformationItems) user information sub-items")
            }
            var (type, sub) = try readItem(&content, in: "user information")
            switch type {
            case 0x51:
                guard sub.readableBytes == 4 else {
                    throw DICOMNetworkError(.malformedPDU, "maximum length sub-item of \(sub.readableBytes) bytes")
                }
                information.maximumLength = sub.readInteger(endianness: .big, as: UInt32.self)!
            case 0x52:
                information.implementationClassUID = try uid(sub, what: "implementation class UID")
            case 0x53:
                guard sub.readableBytes == 4 else {
                    throw DICOMNetworkError(.malformedPDU, "asynchronous operations window of \(sub.readableBytes) bytes")
                }
                let invoked = sub.readInteger(endianness: .big, as: UInt16.self)!
                let performed = sub.readInteger(endianness: .big, as: UInt16.self)!
                information.asynchronousOperationsWindow = (invoked, performed)
            case 0x54:
                guard let length = sub.readInteger(endianness: .big, as: UInt16.self), Int(length) + 2 == sub.readableBytes,
                      let uidSlice = sub.readSlice(length: Int(length)) else {
                    throw DICOMNetworkError(.malformedPDU, "damaged SCP/SCU role selection sub-item")
                }
                let syntax = try uid(uidSlice, what: "role selection abstract syntax")
                let scu = sub.readInteger(as: UInt8.self)!, scp = sub.readInteger(as: UInt8.self)!
                information.roleSelections.append(RoleSelection(abstractSyntax: syntax, scuRole: scu == 1, scpRole: scp == 1))
            case 0x55:
                guard sub.readableBytes <= 16 else {
                    throw DICOMNetworkError(.malformedPDU, "implementation version name of \(sub.readableBytes) bytes (at most 16)")
                }
                information.implementationVersionName = text(sub.readBytes(length: sub.readableBytes)!)
            default:
                // Extended negotiation and user identity are not used; the acceptor may ignore them.
                continue
            }
        }
        return information
    }

    // MARK: Values

    /// A UID from an item: at most 64 characters of printable ASCII once padding is removed.
    static func uid(_ slice: ByteBuffer, what: String) throws(DICOMNetworkError) -> String {
        guard slice.readableBytes <= 66 else {
            throw DICOMNetworkError(.malformedPDU, "\(what) of \(slice.readableBytes) bytes (a UID has at most 64)")
        }
        let bytes = slice.getBytes(at: slice.readerIndex, length: slice.readableBytes)!
        let value = text(bytes)
        guard !value.isEmpty, value.utf8.count <= 64, value.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw DICOMNetworkError(.malformedPDU, "\(what) is empty or not printable")
        }
        return value
    }

    /// An AE title field: leading and trailing spaces (and NUL padding) are not significant.
    static func aeTitle(_ bytes: [UInt8]) -> String {
        text(bytes)
    }

    private static func text(_ bytes: [UInt8]) -> String {
        var slice = bytes[...]
        while let last = slice.last, last == 0x20 || last == 0x00 { slice = slice.dropLast() }
        while let first = slice.first, first == 0x20 { slice = slice.dropFirst() }
        return String(decoding: slice.map { (0x20...0x7E).contains($0) ? $0 : 0x3F }, as: UTF8.self)
    }
}
