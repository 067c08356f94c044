import DICOMNetwork
import NIOCore

/// libFuzzer's runtime refers to this symbol; the driver started in main.swift calls
/// ``fuzzPDUParser(_:_:)`` directly.
@_cdecl("LLVMFuzzerTestOneInput")
public func libFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzzPDUParser(data, size)
}

/// Parses the input as a stream of PDUs, as the listener does. Beyond "no crash, no hang":
/// every PDU that parses must encode and parse back to itself, and every command set that
/// decodes must survive its own encoding.
func fuzzPDUParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let limits = PDULimits(maximumDataPDULength: 65_536)
    var buffer = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))
    while true {
        let parsed: PDU?
        do {
            parsed = try PDUParser.parse(&buffer, limits: limits)
        } catch {
            return 0
        }
        guard let pdu = parsed else { return 0 }
        var encoded = pdu.encoded()
        let again = try? PDUParser.parse(&encoded, limits: PDULimits(maximumDataPDULength: Int(UInt32.max)))
        precondition(again == pdu, "PDU did not survive its own encoding: \(pdu)")
        if case .data(let values) = pdu {
            for value in values where value.isCommand {
                guard let command = try? DIMSECommand(decoding: value.data) else { continue }
                let decoded = try? DIMSECommand(decoding: command.encoded())
                precondition(decoded == command, "command set did not survive its own encoding")
            }
        }
    }
}
