import NIOCore

extension PDU {
    /// Appends the PDU's bytes. P-DATA values are copied; senders of large data sets use
    /// ``PDU/writeDataHeader(into:contextID:isCommand:isLast:dataLength:)`` and send the data
    /// slice after it instead.
    public func encode(into buffer: inout ByteBuffer) {
        switch self {
        case .associateRequest(let request):
            Self.writeAssociation(
                into: &buffer, kind: .associateRequest, version: request.protocolVersion,
                called: request.calledAETitle, calling: request.callingAETitle,
                applicationContext: request.applicationContextName
            ) { body in
                for context in request.presentationContexts {
                    Self.writeItem(into: &body, type: 0x20) { item in
                        item.writeInteger(context.id)
                        item.writeBytes([0, 0, 0])
                        Self.writeItem(into: &item, type: 0x30) { $0.writeString(context.abstractSyntax) }
                        for syntax in context.transferSyntaxes {
                            Self.writeItem(into: &item, type: 0x40) { $0.writeString(syntax) }
                        }
                    }
                }
                Self.writeUserInformation(into: &body, request.userInformation)
            }
        case .associateAccept(let accept):
            Self.writeAssociation(
                into: &buffer, kind: .associateAccept, version: accept.protocolVersion,
                called: accept.calledAETitle, calling: accept.callingAETitle,
                applicationContext: accept.applicationContextName
            ) { body in
                for context in accept.presentationContexts {
                    Self.writeItem(into: &body, type: 0x21) { item in
                        item.writeInteger(context.id)
                        item.writeInteger(UInt8(0))
                        item.writeInteger(context.result.rawValue)
                        item.writeInteger(UInt8(0))
                        Self.writeItem(into: &item, type: 0x40) { $0.writeString(context.transferSyntax) }
                    }
                }
                Self.writeUserInformation(into: &body, accept.userInformation)
            }
        case .associateReject(let reject):
            Self.writeFixed(into: &buffer, kind: .associateReject, [0, reject.result.rawValue, reject.source.rawValue, reject.reason])
        case .data(let values):
            let length = values.reduce(0) { $0 + 6 + $1.data.readableBytes }
            buffer.writeInteger(Kind.data.rawValue)
            buffer.writeInteger(UInt8(0))
            buffer.writeInteger(UInt32(length), endianness: .big)
            for value in values {
                buffer.writeInteger(UInt32(value.data.readableBytes + 2), endianness: .big)
                buffer.writeInteger(value.contextID)
                buffer.writeInteger(UInt8((value.isCommand ? 1 : 0) | (value.isLastFragment ? 2 : 0)))
                var data = value.data
                buffer.writeBuffer(&data)
            }
        case .releaseRequest:
            Self.writeFixed(into: &buffer, kind: .releaseRequest, [0, 0, 0, 0])
        case .releaseResponse:
            Self.writeFixed(into: &buffer, kind: .releaseResponse, [0, 0, 0, 0])
        case .abort(let abort):
            Self.writeFixed(into: &buffer, kind: .abort, [0, 0, abort.source.rawValue, abort.reason])
        }
    }

    /// The PDU's bytes in a new buffer.
    public func encoded(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 256)
        encode(into: &buffer)
        return buffer
    }

    /// Writes the headers of a P-DATA-TF holding one PDV whose data the caller sends right after:
    /// the 6-byte PDU header and the 6-byte PDV header.
    public static func writeDataHeader(into buffer: inout ByteBuffer, contextID: UInt8, isCommand: Bool, isLast: Bool, dataLength: Int) {
        buffer.writeInteger(PDU.Kind.data.rawValue)
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt32(dataLength + 6), endianness: .big)
        buffer.writeInteger(UInt32(dataLength + 2), endianness: .big)
        buffer.writeInteger(contextID)
        buffer.writeInteger(UInt8((isCommand ? 1 : 0) | (isLast ? 2 : 0)))
    }

    private static func writeFixed(into buffer: inout ByteBuffer, kind: Kind, _ bytes: [UInt8]) {
        buffer.writeInteger(kind.rawValue)
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt32(bytes.count), endianness: .big)
        buffer.writeBytes(bytes)
    }

    private static func writeAssociation(
        into buffer: inout ByteBuffer, kind: Kind, version: UInt16, called: String, calling: String,
        applicationContext: String, items: (inout ByteBuffer) -> Void
    ) {
        buffer.writeInteger(kind.rawValue)
        buffer.writeInteger(UInt8(0))
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(UInt32(0), endianness: .big)
        let bodyStart = buffer.writerIndex
        buffer.writeInteger(version, endianness: .big)
        buffer.writeInteger(UInt16(0))
        buffer.writeBytes(aeTitleField(called))
        buffer.writeBytes(aeTitleField(calling))
        buffer.writeRepeatingByte(0, count: 32)
        writeItem(into: &buffer, type: 0x10) { $0.writeString(applicationContext) }
        items(&buffer)
        buffer.setInteger(UInt32(buffer.writerIndex - bodyStart), at: lengthIndex, endianness: .big)
    }

    private static func writeUserInformation(into buffer: inout ByteBuffer, _ information: UserInformation) {
        writeItem(into: &buffer, type: 0x50) { item in
            writeItem(into: &item, type: 0x51) { $0.writeInteger(information.maximumLength, endianness: .big) }
            // A peer may omit it (the parser is lenient); an empty item would not read back.
            if !information.implementationClassUID.isEmpty {
                writeItem(into: &item, type: 0x52) { $0.writeString(information.implementationClassUID) }
            }
            if let window = information.asynchronousOperationsWindow {
                writeItem(into: &item, type: 0x53) {
                    $0.writeInteger(window.invoked, endianness: .big)
                    $0.writeInteger(window.performed, endianness: .big)
                }
            }
            for role in information.roleSelections {
                writeItem(into: &item, type: 0x54) {
                    $0.writeInteger(UInt16(role.abstractSyntax.utf8.count), endianness: .big)
                    $0.writeString(role.abstractSyntax)
                    $0.writeInteger(UInt8(role.scuRole ? 1 : 0))
                    $0.writeInteger(UInt8(role.scpRole ? 1 : 0))
                }
            }
            if let name = information.implementationVersionName {
                writeItem(into: &item, type: 0x55) { $0.writeString(name) }
            }
        }
    }

    /// An item: type, reserved byte, 16-bit big-endian length, then what `content` writes.
    private static func writeItem(into buffer: inout ByteBuffer, type: UInt8, content: (inout ByteBuffer) -> Void) {
        buffer.writeInteger(type)
        buffer.writeInteger(UInt8(0))
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(UInt16(0), endianness: .big)
        let start = buffer.writerIndex
        content(&buffer)
        buffer.setInteger(UInt16(buffer.writerIndex - start), at: lengthIndex, endianness: .big)
    }

    /// A 16-byte AE title field, space padded.
    static func aeTitleField(_ title: String) -> [UInt8] {
        let bytes = Array(title.utf8.prefix(16))
        return bytes + [UInt8](repeating: 0x20, count: 16 - bytes.count)
    }
}
