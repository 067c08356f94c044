import NIOCore

/// A DIMSE command set (PS3.7 section 9.3 and annex E): group 0000 elements, always implicit VR
/// little endian.
public struct DIMSECommand: Sendable, Equatable {
    /// Command Field (0000,0100) values the box sends or answers.
    public enum Kind: UInt16, Sendable {
        case storeRequest = 0x0001
        case storeResponse = 0x8001
        case echoRequest = 0x0030
        case echoResponse = 0x8030
        case eventReportRequest = 0x0100
        case eventReportResponse = 0x8100
        case actionRequest = 0x0130
        case actionResponse = 0x8130
        case getRequest = 0x0010
        case getResponse = 0x8010
        case findRequest = 0x0020
        case findResponse = 0x8020
        case moveRequest = 0x0021
        case moveResponse = 0x8021
        case cancelRequest = 0x0FFF
    }

    /// (0000,0800) value meaning "no data set follows".
    public static let noDataSet: UInt16 = 0x0101
    /// Largest command set accepted; real ones are a few hundred bytes.
    public static let maximumLength = 64 * 1024
    static let maximumElements = 256

    public var commandField: UInt16
    public var messageID: UInt16?
    public var messageIDBeingRespondedTo: UInt16?
    public var affectedSOPClassUID: String?
    public var affectedSOPInstanceUID: String?
    public var priority: UInt16?
    public var hasDataSet: Bool
    public var status: DIMSEStatus?
    public var errorComment: String?
    public var moveOriginatorAETitle: String?
    public var moveOriginatorMessageID: UInt16?
    /// N-ACTION names its object in Requested SOP Class/Instance UID (0000,0003)/(0000,1001).
    public var requestedSOPClassUID: String?
    public var requestedSOPInstanceUID: String?
    /// Event Type ID (0000,1002) of an N-EVENT-REPORT.
    public var eventTypeID: UInt16?
    /// Action Type ID (0000,1008) of an N-ACTION.
    public var actionTypeID: UInt16?
    /// Move Destination (0000,0600) of a C-MOVE-RQ.
    public var moveDestination: String?
    /// C-MOVE/C-GET responses: sub-operations remaining, completed, failed, with a warning.
    public var remainingSubOperations: UInt16?
    public var completedSubOperations: UInt16?
    public var failedSubOperations: UInt16?
    public var warningSubOperations: UInt16?

    public init(commandField: UInt16, hasDataSet: Bool) {
        self.commandField = commandField
        self.hasDataSet = hasDataSet
    }

    public var kind: Kind? { Kind(rawValue: commandField) }
    /// Requests have bit 15 clear.
    public var isRequest: Bool { commandField & 0x8000 == 0 }

    public static func echoRequest(messageID: UInt16) -> DIMSECommand {
        var command = DIMSECommand(commandField: Kind.echoRequest.rawValue, hasDataSet: false)
        command.messageID = messageID
        command.affectedSOPClassUID = SOPClass.verification
        return command
    }

    public static func storeRequest(messageID: UInt16, sopClassUID: String, sopInstanceUID: String, priority: UInt16 = 0) -> DIMSECommand {
        var command = DIMSECommand(commandField: Kind.storeRequest.rawValue, hasDataSet: true)
        command.messageID = messageID
        command.affectedSOPClassUID = sopClassUID
        command.affectedSOPInstanceUID = sopInstanceUID
        command.priority = priority
        return command
    }

    /// N-EVENT-REPORT-RQ: the performer of an SOP instance tells the invoker an event happened.
    public static func eventReportRequest(messageID: UInt16, sopClassUID: String, sopInstanceUID: String, eventTypeID: UInt16) -> DIMSECommand {
        var command = DIMSECommand(commandField: Kind.eventReportRequest.rawValue, hasDataSet: true)
        command.messageID = messageID
        command.affectedSOPClassUID = sopClassUID
        command.affectedSOPInstanceUID = sopInstanceUID
        command.eventTypeID = eventTypeID
        return command
    }

    /// N-ACTION-RQ with its action information in a data set.
    public static func actionRequest(messageID: UInt16, sopClassUID: String, sopInstanceUID: String, actionTypeID: UInt16) -> DIMSECommand {
        var command = DIMSECommand(commandField: Kind.actionRequest.rawValue, hasDataSet: true)
        command.messageID = messageID
        command.requestedSOPClassUID = sopClassUID
        command.requestedSOPInstanceUID = sopInstanceUID
        command.actionTypeID = actionTypeID
        return command
    }

    /// The response to this request with `status`; a comment goes in Error Comment (0000,0902).
    /// An N-ACTION's requested object becomes the response's affected one (PS3.7 table 10.3-2).
    public func response(status: DIMSEStatus, comment: String? = nil) -> DIMSECommand {
        var response = DIMSECommand(commandField: commandField | 0x8000, hasDataSet: false)
        response.messageIDBeingRespondedTo = messageID
        response.affectedSOPClassUID = affectedSOPClassUID ?? requestedSOPClassUID
        response.affectedSOPInstanceUID = affectedSOPInstanceUID ?? requestedSOPInstanceUID
        response.actionTypeID = actionTypeID
        response.eventTypeID = eventTypeID
        response.status = status
        if let comment, !status.isSuccess {
            // LO: at most 64 characters, no backslash or control characters.
            response.errorComment = String(comment.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F && $0 != "\\" }.prefix(64).map(Character.init))
        }
        return response
    }

    // MARK: Tags

    enum Element: UInt16 {
        case groupLength = 0x0000
        case affectedSOPClassUID = 0x0002
        case requestedSOPClassUID = 0x0003
        case commandField = 0x0100
        case messageID = 0x0110
        case messageIDBeingRespondedTo = 0x0120
        case moveDestination = 0x0600
        case priority = 0x0700
        case commandDataSetType = 0x0800
        case status = 0x0900
        case errorComment = 0x0902
        case affectedSOPInstanceUID = 0x1000
        case requestedSOPInstanceUID = 0x1001
        case eventTypeID = 0x1002
        case actionTypeID = 0x1008
        case remainingSubOperations = 0x1020
        case completedSubOperations = 0x1021
        case failedSubOperations = 0x1022
        case warningSubOperations = 0x1023
        case moveOriginatorAETitle = 0x1030
        case moveOriginatorMessageID = 0x1031
    }

    // MARK: Reading

    /// Reads a complete command set.
    public init(decoding buffer: ByteBuffer) throws(DICOMNetworkError) {
        guard buffer.readableBytes <= Self.maximumLength else {
            throw DICOMNetworkError(.malformedCommand, "command set of \(buffer.readableBytes) bytes")
        }
        var bytes = buffer
        var values: [UInt16: ByteBuffer] = [:]
        var count = 0
        while bytes.readableBytes > 0 {
            count += 1
            guard count <= Self.maximumElements,
                  let group = bytes.readInteger(endianness: .little, as: UInt16.self),
                  let element = bytes.readInteger(endianness: .little, as: UInt16.self),
                  let length = bytes.readInteger(endianness: .little, as: UInt32.self) else {
                throw DICOMNetworkError(.malformedCommand, "command set ends inside an element header or has too many elements")
            }
            guard group == 0x0000 else {
                throw DICOMNetworkError(.malformedCommand, "element (\(hex(group)),\(hex(element))) outside group 0000 in a command set")
            }
            guard Int(length) <= bytes.readableBytes, let value = bytes.readSlice(length: Int(length)) else {
                throw DICOMNetworkError(.malformedCommand, "element (0000,\(hex(element))) length \(length) with \(bytes.readableBytes) bytes left")
            }
            values[element] = value
        }
        func uint16(_ element: Element) throws(DICOMNetworkError) -> UInt16? {
            guard var value = values[element.rawValue] else { return nil }
            guard value.readableBytes == 2 else {
                throw DICOMNetworkError(.malformedCommand, "(0000,\(hex(element.rawValue))) is \(value.readableBytes) bytes, US needs 2")
            }
            return value.readInteger(endianness: .little, as: UInt16.self)
        }
        func text(_ element: Element) -> String? {
            guard let value = values[element.rawValue] else { return nil }
            var raw = value.getBytes(at: value.readerIndex, length: value.readableBytes)![...]
            while let last = raw.last, last == 0 || last == 0x20 { raw = raw.dropLast() }
            while let first = raw.first, first == 0x20 { raw = raw.dropFirst() }
            return String(decoding: raw, as: UTF8.self)
        }
        guard let field = try uint16(.commandField) else {
            throw DICOMNetworkError(.malformedCommand, "no Command Field (0000,0100)")
        }
        guard let dataSetType = try uint16(.commandDataSetType) else {
            throw DICOMNetworkError(.malformedCommand, "no Command Data Set Type (0000,0800)")
        }
        commandField = field
        hasDataSet = dataSetType != Self.noDataSet
        messageID = try uint16(.messageID)
        messageIDBeingRespondedTo = try uint16(.messageIDBeingRespondedTo)
        priority = try uint16(.priority)
        status = try uint16(.status).map(DIMSEStatus.init(rawValue:))
        moveOriginatorMessageID = try uint16(.moveOriginatorMessageID)
        eventTypeID = try uint16(.eventTypeID)
        actionTypeID = try uint16(.actionTypeID)
        requestedSOPClassUID = text(.requestedSOPClassUID)
        requestedSOPInstanceUID = text(.requestedSOPInstanceUID)
        affectedSOPClassUID = text(.affectedSOPClassUID)
        affectedSOPInstanceUID = text(.affectedSOPInstanceUID)
        errorComment = text(.errorComment)
        moveOriginatorAETitle = text(.moveOriginatorAETitle)
        moveDestination = text(.moveDestination)
        remainingSubOperations = try uint16(.remainingSubOperations)
        completedSubOperations = try uint16(.completedSubOperations)
        failedSubOperations = try uint16(.failedSubOperations)
        warningSubOperations = try uint16(.warningSubOperations)
    }

    // MARK: Writing

    /// The command set bytes, group length first, elements in tag order.
    public func encoded() -> ByteBuffer {
        var body = ByteBuffer()
        func uid(_ element: Element, _ value: String?) {
            guard let value else { return }
            var bytes = Array(value.utf8)
            if bytes.count % 2 == 1 { bytes.append(0) }
            put(element, bytes)
        }
        func text(_ element: Element, _ value: String?) {
            guard let value else { return }
            var bytes = Array(value.utf8)
            if bytes.count % 2 == 1 { bytes.append(0x20) }
            put(element, bytes)
        }
        func us(_ element: Element, _ value: UInt16?) {
            guard let value else { return }
            put(element, [UInt8(value & 0xFF), UInt8(value >> 8)])
        }
        func put(_ element: Element, _ bytes: [UInt8]) {
            body.writeInteger(UInt16(0), endianness: .little)
            body.writeInteger(element.rawValue, endianness: .little)
            body.writeInteger(UInt32(bytes.count), endianness: .little)
            body.writeBytes(bytes)
        }
        uid(.affectedSOPClassUID, affectedSOPClassUID)
        uid(.requestedSOPClassUID, requestedSOPClassUID)
        us(.commandField, commandField)
        us(.messageID, messageID)
        us(.messageIDBeingRespondedTo, messageIDBeingRespondedTo)
        text(.moveDestination, moveDestination)
        us(.priority, priority)
        us(.commandDataSetType, hasDataSet ? 0x0000 : Self.noDataSet)
        us(.status, status?.rawValue)
        text(.errorComment, errorComment)
        uid(.affectedSOPInstanceUID, affectedSOPInstanceUID)
        uid(.requestedSOPInstanceUID, requestedSOPInstanceUID)
        us(.eventTypeID, eventTypeID)
        us(.actionTypeID, actionTypeID)
        us(.remainingSubOperations, remainingSubOperations)
        us(.completedSubOperations, completedSubOperations)
        us(.failedSubOperations, failedSubOperations)
        us(.warningSubOperations, warningSubOperations)
        text(.moveOriginatorAETitle, moveOriginatorAETitle)
        us(.moveOriginatorMessageID, moveOriginatorMessageID)
        var output = ByteBuffer()
        output.reserveCapacity(body.readableBytes + 12)
        output.writeInteger(UInt16(0), endianness: .little)
        output.writeInteger(UInt16(0), endianness: .little)
        output.writeInteger(UInt32(4), endianness: .little)
        output.writeInteger(UInt32(body.readableBytes), endianness: .little)
        output.writeBuffer(&body)
        return output
    }
}

private func hex(_ value: UInt16) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: 4 - digits.count) + digits
}
