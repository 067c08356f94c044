import Testing
@testable import USBCapture

@Suite("UVC probe and commit")
struct UVCStreamingControlTests {
    @Test("the block is 26, 34 or 48 bytes by UVC version, fields at the table's offsets")
    func layout() throws {
        #expect(UVCStreamingControl.length(forVersion: 0x0100) == 26)
        #expect(UVCStreamingControl.length(forVersion: 0x0110) == 34)
        #expect(UVCStreamingControl.length(forVersion: 0x0150) == 48)
        var control = UVCStreamingControl()
        control.hint = 0x0001
        control.formatIndex = 2
        control.frameIndex = 3
        control.frameInterval = 333_333
        control.compressionQuality = 5000
        control.maxVideoFrameSize = 614_400
        control.maxPayloadTransferSize = 3072
        control.clockFrequency = 48_000_000
        control.framingInfo = 0x03
        control.bitDepthLuma = 8
        control.layoutPerStream = 0x0102_0304_0506_0708
        let bytes = control.bytes(length: 48)
        #expect(bytes.count == 48)
        #expect(Array(bytes[0..<8]) == [0x01, 0x00, 0x02, 0x03, 0x15, 0x16, 0x05, 0x00])
        #expect(Array(bytes[12..<14]) == [0x88, 0x13])
        #expect(Array(bytes[18..<26]) == [0x00, 0x60, 0x09, 0x00, 0x00, 0x0C, 0x00, 0x00])
        #expect(Array(bytes[26..<31]) == [0x00, 0x6C, 0xDC, 0x02, 0x03])
        #expect(bytes[35] == 8)
        #expect(Array(bytes[40..<48]) == [0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01])
        #expect(try UVCStreamingControl(parsing: bytes) == control)
        let short = control.bytes(length: 26)
        let parsed = try UVCStreamingControl(parsing: short)
        #expect(parsed.maxPayloadTransferSize == 3072 && parsed.clockFrequency == 0)
        #expect(throws: USBError.self) { try UVCStreamingControl(parsing: Array(short.prefix(20))) }
    }
}
