import Foundation
import Imaging
import Synchronization

/// A UVC camera in software: answers standard and class control requests, keeps the probe and
/// commit state, and produces payloads (header + data) for isochronous packets or bulk transfers
/// from an ``ExposureScene``. The USB/IP server and the unit tests' in-process channel drive it.
///
/// Faults can be injected: garbage headers, the ERR bit, lost payloads (torn frames), a stalled
/// endpoint, and a frozen device.
public final class EmulatedUVCCamera: @unchecked Sendable {
    public enum ControlOutcome: Sendable, Equatable {
        case data([UInt8])
        case stall
    }

    public struct Faults: Sendable {
        /// Next payloads to send with a nonsense header.
        public var garbageHeaders = 0
        /// Next frames to flag with the ERR bit.
        public var errorFrames = 0
        /// Next frames to lose a payload from the middle (torn).
        public var tornFrames = 0
        /// The streaming endpoint answers with STALL until a CLEAR_FEATURE(ENDPOINT_HALT).
        public var stalled = false
        /// The device stops sending (no answers at all) while set.
        public var frozen = false
        /// Close the USB/IP connection after this many more payloads (the device vanishes mid-frame).
        public var disconnectAfterPayloads: Int?
        public init() {}
    }

    public let profile: EmulatedCameraProfile
    public let scene: ExposureScene
    private let lock = NSLock()
    private var faults = Faults()
    private var alternateSetting: UInt8 = 0
    private var probe: [UInt8]
    private var committed: [UInt8]?
    private var frameNumber = 0
    private var pending: [[UInt8]] = []
    private var frameID = false
    private var nextFrameDue = Date()
    private var clock: UInt32 = 0
    public private(set) var framesSent = 0
    public private(set) var controlLog: [String] = []

    public init(profile: EmulatedCameraProfile, scene: ExposureScene) {
        self.profile = profile
        self.scene = scene
        probe = []
        probe = defaultProbe()
    }

    public var deviceDescriptor: [UInt8] { UVCDescriptorBuilder.device(profile) }
    public var configurationDescriptor: [UInt8] { UVCDescriptorBuilder.configuration(profile) }
    public var probeLength: Int { profile.uvcVersion >= 0x0150 ? 48 : 34 }

    public func injectFaults(_ change: (inout Faults) -> Void) {
        lock.withLock { change(&faults) }
    }

    public var currentFaults: Faults { lock.withLock { faults } }

    /// The frame number the scene is at (frames produced so far).
    public var currentFrame: Int { lock.withLock { frameNumber } }

    public var isStreaming: Bool {
        lock.withLock { committed != nil && (profile.transfer == .bulk || alternateSetting != 0) }
    }

    // MARK: Control requests

    /// Answers a SETUP packet (8 bytes) with its OUT data.
    public func control(setup: [UInt8], data: [UInt8]) -> ControlOutcome {
        lock.withLock { controlLocked(setup: setup, data: data) }
    }

    private func controlLocked(setup: [UInt8], data: [UInt8]) -> ControlOutcome {
        let requestType = setup[0], request = setup[1]
        let value = UInt16(setup[2]) | UInt16(setup[3]) << 8
        let index = UInt16(setup[4]) | UInt16(setup[5]) << 8
        let length = Int(UInt16(setup[6]) | UInt16(setup[7]) << 8)
        func reply(_ bytes: [UInt8]) -> ControlOutcome { .data(Array(bytes.prefix(length))) }
        switch (requestType, request) {
        case (0x80, 0x06):  // GET_DESCRIPTOR
            switch value >> 8 {
            case 1: return reply(deviceDescriptor)
            case 2: return reply(configurationDescriptor)
            case 3:
                switch value & 0xFF {
                case 0: return reply([4, 0x03, 0x09, 0x04])
                case 1: return reply(UVCDescriptorBuilder.string(profile.manufacturer))
                case 2: return reply(UVCDescriptorBuilder.string(profile.product))
                case 3: return reply(UVCDescriptorBuilder.string(profile.serialNumber))
                default: return .stall
                }
            case 6: return .stall  // no device qualifier: a high-speed-only device
            default: return .stall
            }
        case (0x80, 0x00): return reply([0, 0])  // GET_STATUS
        case (0x80, 0x08): return reply([1])  // GET_CONFIGURATION
        case (0x00, 0x09): return .data([])  // SET_CONFIGURATION
        case (0x01, 0x0B):  // SET_INTERFACE
            if index == 1 {
                alternateSetting = UInt8(value)
                controlLog.append("SET_INTERFACE 1 alt \(value)")
                if value == 0 && profile.transfer == .isochronous { resetStream() }
            }
            return .data([])
        case (0x02, 0x01):  // CLEAR_FEATURE(ENDPOINT_HALT)
            faults.stalled = false
            controlLog.append("CLEAR_FEATURE halt 0x\(String(index, radix: 16))")
            return .data([])
        case (0x21, 0x01) where index & 0xFF == 1:  // SET_CUR on the streaming interface
            let selector = value >> 8
            guard selector == 1 || selector == 2, data.count >= 26 else { return .stall }
            let answered = negotiated(data)
            if selector == 1 {
                probe = answered
                controlLog.append("SET_CUR probe format \(answered[2]) frame \(answered[3])")
            } else {
                committed = answered
                probe = answered
                resetStream()
                controlLog.append("SET_CUR commit format \(answered[2]) frame \(answered[3])")
            }
            return .data([])
        case (0xA1, let get) where index & 0xFF == 1:
            let selector = value >> 8
            guard selector == 1 || selector == 2 else { return .stall }
            switch get {
            case 0x81: return reply(selector == 1 ? probe : (committed ?? probe))
            case 0x82, 0x83, 0x87: return reply(defaultProbe())
            case 0x85: return reply([UInt8(probeLength & 0xFF), UInt8(probeLength >> 8)])
            case 0x86: return reply([0x03])
            default: return .stall
            }
        case (0xA1, _), (0x21, _):
            return .stall  // VideoControl controls: none implemented
        default:
            return .stall
        }
    }

    private func defaultProbe() -> [UInt8] {
        negotiated(Self.control(format: 1, frame: 1, interval: profile.frameIntervals[0], length: probeLength))
    }

    static func control(format: UInt8, frame: UInt8, interval: UInt32, length: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: length)
        bytes[0] = 1
        bytes[2] = format
        bytes[3] = frame
        bytes.replaceSubrange(4..<8, with: UVCDescriptorBuilder.le32(interval))
        return bytes
    }

    /// The device's answer to a probe: valid indices, a supported interval, and its sizes.
    private func negotiated(_ request: [UInt8]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: probeLength)
        for index in 0..<min(request.count, probeLength) { bytes[index] = request[index] }
        let formatIndex = Int(min(max(bytes[2], 1), UInt8(profile.offers.count)))
        let offer = profile.offers[formatIndex - 1]
        let frameIndex = Int(min(max(bytes[3], 1), UInt8(offer.sizes.count)))
        var interval = UInt32(bytes[4]) | UInt32(bytes[5]) << 8 | UInt32(bytes[6]) << 16 | UInt32(bytes[7]) << 24
        if !profile.frameIntervals.contains(interval) { interval = profile.frameIntervals[0] }
        let size = offer.sizes[frameIndex - 1]
        bytes[2] = UInt8(formatIndex)
        bytes[3] = UInt8(frameIndex)
        bytes.replaceSubrange(4..<8, with: UVCDescriptorBuilder.le32(interval))
        bytes.replaceSubrange(18..<22, with: UVCDescriptorBuilder.le32(UInt32(UVCDescriptorBuilder.frameBufferSize(offer.format, size.width, size.height))))
        bytes.replaceSubrange(22..<26, with: UVCDescriptorBuilder.le32(UInt32(offer.payloadTransferSize)))
        if probeLength >= 34 {
            bytes.replaceSubrange(26..<30, with: UVCDescriptorBuilder.le32(48_000_000))
            bytes[30] = profile.sendsEndOfFrame ? 0x03 : 0x01
        }
        return bytes
    }

    private func resetStream() {
        pending = []
        nextFrameDue = Date()
    }

    // MARK: Streaming

    /// The committed stream: format, size, payload size and interval.
    private func committedStream() -> (EmulatedCameraProfile.Format, Int, Int, Int, UInt32)? {
        guard let committed else { return nil }
        let offer = profile.offers[Int(committed[2]) - 1]
        let size = offer.sizes[Int(committed[3]) - 1]
        let interval = UInt32(committed[4]) | UInt32(committed[5]) << 8 | UInt32(committed[6]) << 16 | UInt32(committed[7]) << 24
        return (offer.format, size.width, size.height, offer.payloadTransferSize, interval)
    }

    /// Seconds until the next frame is due (0 when payloads are waiting).
    public func secondsUntilData() -> Double {
        lock.withLock {
            guard pending.isEmpty, profile.realTime else { return 0 }
            return max(0, nextFrameDue.timeIntervalSinceNow)
        }
    }

    /// Whether the streaming endpoint is stalled or the device frozen.
    public var endpointState: (stalled: Bool, frozen: Bool) {
        lock.withLock { (faults.stalled, faults.frozen) }
    }

    /// True once the injected disconnect point is reached.
    public func shouldDisconnect() -> Bool {
        lock.withLock { faults.disconnectAfterPayloads.map { $0 <= 0 } ?? false }
    }

    public func clearDisconnect() {
        lock.withLock { faults.disconnectAfterPayloads = nil }
    }

    /// Packets for one isochronous transfer: each at most `packetSize` bytes; empty when no frame is due.
    public func isochronousPackets(count: Int, packetSize: Int) -> [[UInt8]] {
        lock.withLock {
            var packets: [[UInt8]] = []
            for _ in 0..<count {
                packets.append(nextPayloadLocked(limit: packetSize) ?? [])
            }
            return packets
        }
    }

    /// One bulk payload of at most `length` bytes, or nil when no frame is due.
    public func bulkPayload(length: Int) -> [UInt8]? {
        lock.withLock { nextPayloadLocked(limit: length) }
    }

    private func nextPayloadLocked(limit: Int) -> [UInt8]? {
        if faults.disconnectAfterPayloads.map({ $0 <= 0 }) == true { return nil }
        if pending.isEmpty {
            guard let stream = committedStream() else { return nil }
            if profile.realTime && Date() < nextFrameDue { return nil }
            nextFrameDue = max(nextFrameDue, Date().addingTimeInterval(-1)).addingTimeInterval(Double(stream.4) / 10_000_000)
            pending = makePayloads(stream, limit: limit)
        }
        guard !pending.isEmpty else { return nil }
        if let remaining = faults.disconnectAfterPayloads { faults.disconnectAfterPayloads = remaining - 1 }
        return pending.removeFirst()
    }

    /// Encodes the next frame of the scene and cuts it into payloads.
    private func makePayloads(_ stream: (EmulatedCameraProfile.Format, Int, Int, Int, UInt32), limit: Int) -> [[UInt8]] {
        let (format, width, height, payloadSize, interval) = stream
        let picture = scene.image(frame: frameNumber)
        let resized = width == scene.width && height == scene.height ? picture : Self.resize(picture, scene.width, scene.height, width, height)
        frameNumber += 1
        framesSent += 1
        let data = encode(resized, format: format, width: width, height: height)
        let headerLength = profile.timestampsInHeaders ? 12 : 2
        let chunk = max(1, min(payloadSize, limit) - headerLength)
        var chunks: [ArraySlice<UInt8>] = []
        var offset = 0
        while offset < data.count {
            chunks.append(data[offset..<min(data.count, offset + chunk)])
            offset += chunk
        }
        if faults.tornFrames > 0 && chunks.count > 2 {
            faults.tornFrames -= 1
            chunks.remove(at: chunks.count / 2)
        }
        let flagError = faults.errorFrames > 0
        if flagError { faults.errorFrames -= 1 }
        clock &+= interval / 100
        var payloads: [[UInt8]] = []
        for (index, piece) in chunks.enumerated() {
            var info: UInt8 = 0x80 | (frameID ? 0x01 : 0)
            if index == chunks.count - 1 && profile.sendsEndOfFrame { info |= 0x02 }
            if flagError && index == chunks.count - 1 { info |= 0x40 }
            var header: [UInt8] = [UInt8(headerLength), info]
            if profile.timestampsInHeaders {
                header[1] |= 0x0C
                header += UVCDescriptorBuilder.le32(clock) + UVCDescriptorBuilder.le32(clock &+ 7) + [UInt8(frameNumber & 0xFF), UInt8((frameNumber >> 8) & 0x07)]
            }
            if faults.garbageHeaders > 0 {
                faults.garbageHeaders -= 1
                header[0] = 0xFF  // longer than any payload
            }
            payloads.append(header + piece)
        }
        frameID.toggle()
        return payloads
    }

    private func encode(_ picture: [UInt8], format: EmulatedCameraProfile.Format, width: Int, height: Int) -> [UInt8] {
        switch format {
        case .mjpeg:
            let jpeg = (try? JPEGCodec.encodeGray8(picture, width: width, height: height, quality: 92)) ?? []
            return profile.stripHuffmanTables ? Self.removingHuffmanTables(jpeg) : jpeg
        case .uncompressed(let fourCC, _):
            switch fourCC {
            case "YUY2": return picture.flatMap { [$0, 0x80] }
            case "Y16 ": return picture.flatMap { [UInt8(0), $0] }  // the 8-bit value in the high byte
            default: return picture
            }
        }
    }

    /// Drops DHT segments, as Motion-JPEG devices do (decoders use the standard tables).
    static func removingHuffmanTables(_ jpeg: [UInt8]) -> [UInt8] {
        guard jpeg.count > 4 else { return jpeg }
        var output: [UInt8] = [0xFF, 0xD8]
        var offset = 2
        while offset + 4 <= jpeg.count, jpeg[offset] == 0xFF {
            let marker = jpeg[offset + 1]
            if marker == 0xDA { break }  // start of scan: the rest is entropy-coded data
            let length = Int(jpeg[offset + 2]) << 8 | Int(jpeg[offset + 3])
            if marker != 0xC4 { output += jpeg[offset..<min(jpeg.count, offset + 2 + length)] }
            offset += 2 + length
        }
        output += jpeg[min(offset, jpeg.count)...]
        return output
    }

    public static func resize(_ picture: [UInt8], _ fromWidth: Int, _ fromHeight: Int, _ width: Int, _ height: Int) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                output[y * width + x] = picture[(y * fromHeight / height) * fromWidth + x * fromWidth / width]
            }
        }
        return output
    }
}
