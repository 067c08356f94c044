import Testing
import UVCEmulator
@testable import USBCapture

/// Descriptors written out byte by byte from the UVC 1.5 tables (not by the emulator), then parsed.
@Suite("UVC descriptors")
struct UVCDescriptorTests {
    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)] }

    /// A UVC 1.1 camera: MJPEG 640x480 (30, 15 fps) and 1280x720 (continuous 5-30 fps), and
    /// YUY2 640x480; isochronous alternates of 192, 1024 and 3x1024 bytes.
    static var fixture: [UInt8] {
        let vcHeader: [UInt8] = [0x0D, 0x24, 0x01] + le16(0x0110) + le16(0x0D + 18 + 11 + 9) + le32(30_000_000) + [0x01, 0x01]
        let cameraTerminal: [UInt8] = [0x12, 0x24, 0x02, 0x01] + le16(0x0201) + [0x00, 0x00] + le16(0) + le16(0) + le16(0) + [0x03, 0x0A, 0x00, 0x00]
        let processingUnit: [UInt8] = [0x0B, 0x24, 0x05, 0x02, 0x01] + le16(0) + [0x02, 0x5B, 0x17, 0x00]
        let outputTerminal: [UInt8] = [0x09, 0x24, 0x03, 0x03] + le16(0x0101) + [0x00, 0x02, 0x00]
        let mjpeg: [UInt8] = [0x0B, 0x24, 0x06, 0x01, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00]
        let mjpegFrame1: [UInt8] = [0x22, 0x24, 0x07, 0x01, 0x00] + le16(640) + le16(480) + le32(1_000_000) + le32(9_000_000) + le32(614_400) + le32(333_333) + [0x02] + le32(333_333) + le32(666_666)
        let mjpegFrame2: [UInt8] = [0x26, 0x24, 0x07, 0x02, 0x00] + le16(1280) + le16(720) + le32(1_000_000) + le32(9_000_000) + le32(1_843_200) + le32(333_333) + [0x00] + le32(333_333) + le32(2_000_000) + le32(333_333)
        let colour: [UInt8] = [0x06, 0x24, 0x0D, 0x01, 0x01, 0x04]
        let yuy2: [UInt8] = [0x1B, 0x24, 0x04, 0x02, 0x01] + Array("YUY2".utf8) + [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71] + [0x10, 0x01, 0x00, 0x00, 0x00, 0x00]
        let yuy2Frame: [UInt8] = [0x1E, 0x24, 0x05, 0x01, 0x00] + le16(640) + le16(480) + le32(1_000_000) + le32(9_000_000) + le32(614_400) + le32(666_666) + [0x01] + le32(666_666)
        let vsBody = mjpeg + mjpegFrame1 + mjpegFrame2 + colour + yuy2 + yuy2Frame + colour
        let vsHeader: [UInt8] = [0x0F, 0x24, 0x01, 0x02] + le16(UInt16(0x0F + vsBody.count)) + [0x82, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00]
        var body: [UInt8] = [0x08, 0x0B, 0x00, 0x02, 0x0E, 0x03, 0x00, 0x00]
        body += [0x09, 0x04, 0x00, 0x00, 0x01, 0x0E, 0x01, 0x00, 0x00] + vcHeader + cameraTerminal + processingUnit + outputTerminal
        body += [0x07, 0x05, 0x83, 0x03] + le16(16) + [0x06] + [0x05, 0x25, 0x03] + le16(16)
        body += [0x09, 0x04, 0x01, 0x00, 0x00, 0x0E, 0x02, 0x00, 0x00] + vsHeader + vsBody
        for (alt, size) in [(1, UInt16(192)), (2, UInt16(1024)), (3, UInt16(1024) | (2 << 11))] {
            body += [0x09, 0x04, 0x01, UInt8(alt), 0x01, 0x0E, 0x02, 0x00, 0x00]
            body += [0x07, 0x05, 0x82, 0x05] + le16(size) + [0x01]
        }
        return [0x09, 0x02] + le16(UInt16(9 + body.count)) + [0x02, 0x01, 0x00, 0x80, 0xFA] + body
    }

    @Test("VideoControl and VideoStreaming descriptors give version, formats, sizes, intervals and alternates")
    func parsesSpecificationFixture() throws {
        let configuration = try USBConfigurationDescriptor(parsing: Self.fixture)
        #expect(configuration.interfaces.count == 5)
        let uvc = try UVCDeviceDescription(configuration: configuration)
        #expect(uvc.uvcVersion == 0x0110)
        #expect(uvc.versionText == "1.10")
        #expect(uvc.controlInterface == 0)
        let streaming = try #require(uvc.streamingInterfaces.first)
        #expect(streaming.interfaceNumber == 1 && streaming.endpointAddress == 0x82)
        #expect(streaming.bulkEndpoint == nil)
        #expect(streaming.isochronousAlternates.map(\.bytesPerInterval) == [192, 1024, 3072])
        #expect(streaming.formats.map(\.pixelFormat) == [.mjpeg, .yuy2])
        let mjpeg = streaming.formats[0]
        #expect(mjpeg.frames.map { [$0.width, $0.height] } == [[640, 480], [1280, 720]])
        #expect(mjpeg.frames[0].intervals == .discrete([333_333, 666_666]))
        #expect(mjpeg.frames[1].intervals == .continuous(minimum: 333_333, maximum: 2_000_000, step: 333_333))
        #expect(mjpeg.frames[1].closestInterval(to: 1_000_000) == 999_999)
        #expect(mjpeg.frames[0].closestInterval(to: 600_000) == 666_666)
        #expect(streaming.formats[1].bitsPerPixel == 16)
        #expect(streaming.formats[1].frames[0].maxFrameBufferSize == 614_400)
    }

    @Test("the alternate setting is the smallest whose bandwidth carries the payload")
    func alternateByBandwidth() throws {
        let streaming = try UVCDeviceDescription(configuration: USBConfigurationDescriptor(parsing: Self.fixture)).streamingInterfaces[0]
        #expect(streaming.alternate(forPayloadBytes: 100)?.alternate == 1)
        #expect(streaming.alternate(forPayloadBytes: 192)?.alternate == 1)
        #expect(streaming.alternate(forPayloadBytes: 800)?.alternate == 2)
        #expect(streaming.alternate(forPayloadBytes: 3000)?.alternate == 3)
        #expect(streaming.alternate(forPayloadBytes: 9000)?.alternate == 3, "nothing is big enough: the largest")
    }

    @Test("grey and 16-bit GUIDs, and unknown formats are listed but not capturable")
    func pixelFormats() {
        let tail: [UInt8] = [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]
        #expect(UVCPixelFormat(uncompressedGUID: Array("Y800".utf8) + tail) == .grey)
        #expect(UVCPixelFormat(uncompressedGUID: Array("GREY".utf8) + tail) == .grey)
        #expect(UVCPixelFormat(uncompressedGUID: Array("Y8  ".utf8) + tail) == .grey)
        #expect(UVCPixelFormat(uncompressedGUID: Array("Y16 ".utf8) + tail) == .y16)
        #expect(UVCPixelFormat(uncompressedGUID: Array("NV12".utf8) + tail) == .unsupported("NV12"))
        #expect(!UVCPixelFormat(uncompressedGUID: Array("NV12".utf8) + tail).isSupported)
    }

    @Test("truncated or overrunning descriptors are errors, not crashes")
    func malformed() {
        var fixture = Self.fixture
        #expect(throws: USBError.self) { try USBConfigurationDescriptor(parsing: Array(fixture.prefix(40))) }
        fixture[9 + 8] = 0xF0  // the first descriptor after the IAD now claims 240 bytes... within total? make it run past
        fixture[9] = 0xFF
        #expect(throws: USBError.self) { try USBConfigurationDescriptor(parsing: fixture) }
        var zero = Self.fixture
        zero[9] = 0x00
        #expect(throws: USBError.self) { try USBConfigurationDescriptor(parsing: zero) }
        // A device without a VideoControl interface is not a camera.
        let plain: [UInt8] = [0x09, 0x02, 0x19, 0x00, 0x01, 0x01, 0x00, 0x80, 0x32, 0x09, 0x04, 0x00, 0x00, 0x01, 0x08, 0x06, 0x50, 0x00, 0x07, 0x05, 0x81, 0x02, 0x00, 0x02, 0x00]
        #expect(performing: { try UVCDeviceDescription(configuration: USBConfigurationDescriptor(parsing: plain)) }, throws: { ($0 as? USBError)?.code == .unsupportedDevice })
    }

    @Test("the emulated cameras' descriptors parse: isochronous UVC 1.1 and bulk UVC 1.5")
    func emulatedProfiles() throws {
        let scene = ExposureScene(width: 32, height: 24)
        let iso = try UVCDeviceDescription(configuration: USBConfigurationDescriptor(parsing: EmulatedUVCCamera(profile: .isochronousGrabber(), scene: scene).configurationDescriptor))
        #expect(iso.uvcVersion == 0x0110)
        #expect(iso.streamingInterfaces[0].formats.map(\.pixelFormat) == [.mjpeg, .grey, .yuy2])
        #expect(iso.streamingInterfaces[0].isochronousAlternates.map(\.bytesPerInterval) == [128, 512, 1024, 3072])
        let bulk = try UVCDeviceDescription(configuration: USBConfigurationDescriptor(parsing: EmulatedUVCCamera(profile: .bulkDetector(), scene: scene).configurationDescriptor))
        #expect(bulk.uvcVersion == 0x0150)
        #expect(bulk.streamingInterfaces[0].bulkEndpoint == 0x81)
        #expect(bulk.streamingInterfaces[0].formats.map(\.pixelFormat) == [.grey, .y16, .mjpeg])
    }
}
