import Imaging
import Testing
import UVCEmulator
@testable import USBCapture

/// The capture path (negotiation, alternate setting, streaming, assembly, conversion) against
/// the emulated camera the end-to-end test also uses.
@Suite("UVC camera against the emulated device")
struct UVCCameraTests {
    /// Streams until `frames` frames arrive (or `limit` payload rounds pass).
    static func grab(_ camera: UVCCamera, _ selection: UVCStreamSelection, frames wanted: Int) throws -> (frames: [UVCFrame], drops: [UVCFrameAssembler.DropReason], counters: UVCStreamCounters) {
        let stop = USBStopSignal()
        var frames: [UVCFrame] = []
        var drops: [UVCFrameAssembler.DropReason] = []
        var counters = UVCStreamCounters()
        try camera.stream(selection, until: stop, counters: &counters) { event, _ in
            switch event {
            case .frame(let frame): frames.append(frame)
            case .dropped(let reason, _): drops.append(reason)
            }
            if frames.count >= wanted { stop.raise() }
        }
        return (frames, drops, counters)
    }

    static func meanAbsoluteDifference(_ a: [UInt16], _ b: [UInt8]) -> Double {
        zip(a, b).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(b.count)
    }

    @Test("isochronous MJPEG: probe/commit, alternate by bandwidth, frames decode to the scene within JPEG tolerance")
    func isochronousMJPEG() throws {
        let scene = ExposureScene(width: 160, height: 120, noise: 0)
        let device = EmulatedUVCCamera(profile: .isochronousGrabber(width: 160, height: 120), scene: scene)
        let channel = EmulatedChannel(camera: device)
        let camera = try UVCCamera(channel: channel)
        var preferences = UVCStreamPreferences()
        preferences.formats = [.mjpeg]
        preferences.width = 160
        preferences.height = 120
        let selection = try camera.negotiate(preferences)
        #expect(channel.claimed == [0, 1])
        #expect(selection.committed.formatIndex == 1 && selection.committed.frameIndex == 1)
        #expect(selection.committed.maxPayloadTransferSize == 800)
        #expect(selection.alternateSetting == 3, "800-byte payloads need the 1024-byte alternate, not the 512-byte one")
        #expect(selection.plan?.transfer == .isochronous(packetSize: 1024, packetsPerTransfer: 32))
        #expect(device.controlLog.contains("SET_CUR commit format 1 frame 1"))
        scene.expose(atFrame: 0)
        let (frames, drops, counters) = try Self.grab(camera, selection, frames: 5)
        #expect(drops.isEmpty && counters.framesDelivered == 5)
        #expect(channel.alternates.last == 0, "streaming stops by going back to alternate 0")
        let image = try FrameConverter.grayscale(frames[4])
        #expect(image.width == 160 && image.height == 120)
        let expected = scene.image(frame: 4)
        #expect(Self.meanAbsoluteDifference(image.samples, expected) < 2.5, "MJPEG without Huffman tables decodes through libjpeg-turbo")
        #expect(frames[4].presentationTime != nil && frames[4].sourceTime != nil)
    }

    @Test("GREY at 320x240 picks the 3x1024-byte alternate; YUY2 and GREY arrive exactly")
    func uncompressedFormats() throws {
        let scene = ExposureScene(width: 64, height: 48)
        for (format, alternate) in [(UVCPixelFormat.grey, UInt8(4)), (.yuy2, 3)] {
            let device = EmulatedUVCCamera(profile: .isochronousGrabber(width: 64, height: 48), scene: scene)
            let camera = try UVCCamera(channel: EmulatedChannel(camera: device))
            var preferences = UVCStreamPreferences()
            preferences.formats = [format]
            let selection = try camera.negotiate(preferences)
            #expect(selection.alternateSetting == alternate, "\(format)")
            if format == .grey { #expect(selection.frame.width == 128, "the largest size when none is configured") }
            let (frames, _, _) = try Self.grab(camera, selection, frames: 2)
            let image = try FrameConverter.grayscale(frames[1])
            let expected = EmulatedUVCCamera.resize(scene.image(frame: 1), 64, 48, selection.frame.width, selection.frame.height)
            let matches = image.samples == expected.map(UInt16.init)
            #expect(matches, "\(format) arrives exactly")
        }
    }

    @Test("bulk UVC 1.5 detector: 48-byte probe, bulk payloads, Y16 samples")
    func bulkY16() throws {
        let scene = ExposureScene(width: 64, height: 48)
        let device = EmulatedUVCCamera(profile: .bulkDetector(width: 64, height: 48), scene: scene)
        let camera = try UVCCamera(channel: EmulatedChannel(camera: device))
        var preferences = UVCStreamPreferences()
        preferences.formats = [.y16, .grey]
        let selection = try camera.negotiate(preferences)
        #expect(camera.description.uvcVersion == 0x0150)
        #expect(selection.format.pixelFormat == .y16)
        #expect(selection.plan?.transfer == .bulk(transferSize: 16_384))
        let (frames, drops, _) = try Self.grab(camera, selection, frames: 2)
        #expect(drops.isEmpty)
        let image = try FrameConverter.grayscale(frames[1])
        #expect(image.bitsStored == 16)
        let matches = image.samples == scene.image(frame: 1).map { UInt16($0) << 8 }
        #expect(matches, "Y16 samples arrive exactly")
    }

    @Test("a device without EOF (FID toggling only) still streams")
    func withoutEndOfFrame() throws {
        let scene = ExposureScene(width: 32, height: 24)
        var profile = EmulatedCameraProfile.isochronousGrabber(width: 32, height: 24)
        profile.sendsEndOfFrame = false
        profile.timestampsInHeaders = false
        let camera = try UVCCamera(channel: EmulatedChannel(camera: EmulatedUVCCamera(profile: profile, scene: scene)))
        var preferences = UVCStreamPreferences()
        preferences.formats = [.grey]
        preferences.width = 32
        preferences.height = 24
        let selection = try camera.negotiate(preferences)
        let (frames, drops, _) = try Self.grab(camera, selection, frames: 3)
        #expect(drops.isEmpty)
        let matches = try FrameConverter.grayscale(frames[2]).samples == scene.image(frame: 2).map(UInt16.init)
        #expect(matches)
    }

    @Test("garbage headers, ERR frames and torn frames are dropped and counted; the stream goes on")
    func faults() throws {
        // Bulk, so that each payload is fetched after the previous event: faults land on the next frame.
        let scene = ExposureScene(width: 320, height: 240)
        let device = EmulatedUVCCamera(profile: .bulkDetector(width: 320, height: 240), scene: scene)
        let camera = try UVCCamera(channel: EmulatedChannel(camera: device))
        var preferences = UVCStreamPreferences()
        preferences.formats = [.grey]
        let selection = try camera.negotiate(preferences)
        let stop = USBStopSignal()
        var frames: [UVCFrame] = []
        var drops: [UVCFrameAssembler.DropReason] = []
        var counters = UVCStreamCounters()
        try camera.stream(selection, until: stop, counters: &counters) { event, _ in
            switch event {
            case .frame(let frame): frames.append(frame)
            case .dropped(let reason, _): drops.append(reason)
            }
            // One fault per frame, each affecting the frame after this event.
            switch frames.count + drops.count {
            case 1: device.injectFaults { $0.garbageHeaders = 1 }
            case 2: device.injectFaults { $0.errorFrames = 1 }
            case 3: device.injectFaults { $0.tornFrames = 1 }
            case 6: stop.raise()
            default: break
            }
        }
        #expect(drops == [.torn, .errorBit, .torn], "a garbage first header loses the frame's start: \(drops)")
        #expect(frames.count >= 3, "frames after the faults arrive")
        #expect(counters.invalidHeaders == 1 && counters.erroredFrames == 1 && counters.tornFrames == 2, "\(counters)")
        let last = try FrameConverter.grayscale(frames[frames.count - 1])
        let matches = last.samples == scene.image(frame: Int(device.framesSent) - 1).map(UInt16.init)
        #expect(matches, "the last frame is the scene's last frame, exactly")
    }

    @Test("a stalled endpoint ends the stream with a STALL error and the halt is cleared; a vanished device is a disconnect with the frame torn")
    func stallAndDisappearance() throws {
        let scene = ExposureScene(width: 320, height: 240)
        let device = EmulatedUVCCamera(profile: .bulkDetector(width: 320, height: 240), scene: scene)
        let channel = EmulatedChannel(camera: device)
        let camera = try UVCCamera(channel: channel)
        var preferences = UVCStreamPreferences()
        preferences.formats = [.grey]
        let selection = try camera.negotiate(preferences)
        device.injectFaults { $0.stalled = true }
        #expect(performing: { try Self.grab(camera, selection, frames: 1) }, throws: { ($0 as? USBError)?.code == .pipe })
        #expect(channel.halts == [0x81] && !device.endpointState.stalled)

        device.injectFaults { $0.disconnectAfterPayloads = 2 }
        var drops: [UVCFrameAssembler.DropReason] = []
        var counters = UVCStreamCounters()
        let stop = USBStopSignal()
        #expect(performing: {
            try camera.stream(selection, until: stop, counters: &counters) { event, _ in
                if case .dropped(let reason, _) = event { drops.append(reason) }
            }
        }, throws: { ($0 as? USBError)?.isDisconnect == true })
        #expect(drops == [.torn] && counters.tornFrames == 1)
    }

    @Test("a format the device does not offer is a clear error naming what it offers")
    func nothingMatches() throws {
        let device = EmulatedUVCCamera(profile: .isochronousGrabber(), scene: ExposureScene(width: 32, height: 24))
        let camera = try UVCCamera(channel: EmulatedChannel(camera: device))
        var preferences = UVCStreamPreferences()
        preferences.formats = [.y16]
        #expect(performing: { try camera.negotiate(preferences) }, throws: { error in
            let usb = error as? USBError
            return usb?.code == .unsupportedDevice && usb?.detail.contains("mjpeg 320x240") == true
        })
    }
}
