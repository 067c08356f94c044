import Foundation
import Imaging
import Logging
import POSIXSupport

/// The USB hot-plug loop: looks for the configured device (a fresh libusb context each time, so a
/// re-plugged device is found with or without a udev daemon), negotiates a stream and reads it on
/// a thread of its own. Frames go through exposure detection; each exposure goes to the sink.
/// When the device goes away, stalls or misbehaves, the stream ends with a log line and counted
/// drops, the link state says why, and the loop looks for the device again. It runs until its
/// task is cancelled, and nothing it meets ends it early.
public actor USBCaptureLoop {
    public struct Settings: Sendable {
        public var device: USBDeviceMatch
        public var preferences: UVCStreamPreferences
        public var exposure: ExposureDetector.Settings
        /// Seconds between looks for the device while it is absent.
        public var searchIntervalSeconds: Double
        /// Seconds without video data after which the device counts as stalled and is reopened.
        public var stallTimeoutSeconds: Double

        public init(
            device: USBDeviceMatch, preferences: UVCStreamPreferences, exposure: ExposureDetector.Settings,
            searchIntervalSeconds: Double, stallTimeoutSeconds: Double
        ) {
            self.device = device
            self.preferences = preferences
            self.exposure = exposure
            self.searchIntervalSeconds = searchIntervalSeconds
            self.stallTimeoutSeconds = stallTimeoutSeconds
        }
    }

    enum State: Sendable {
        case idle
        case searching
        case streaming(USBDeviceInfo)
        case waiting
        case stopped
    }

    /// What the streaming thread reports.
    enum StreamEvent: Sendable {
        case negotiated(UVCStreamSelection)
        case frame(UVCFrame, UVCStreamCounters)
        case dropped(UVCFrameAssembler.DropReason, bytes: Int, UVCStreamCounters)
        case ended(USBError?, UVCStreamCounters)
    }

    /// Counter-only link updates go to the sink at most this often.
    static let counterReportInterval: TimeInterval = 2

    private let settings: Settings
    private let sink: any USBCaptureSink
    private let logger: Logger
    private var state: State = .idle
    public private(set) var link = USBLinkState(phase: .disabled)
    private var detector: ExposureDetector
    private var lastLinkReport = Date.distantPast
    private var everConnected = false

    public init(settings: Settings, sink: any USBCaptureSink, logger: Logger) {
        self.settings = settings
        self.sink = sink
        self.logger = logger
        detector = ExposureDetector(settings: settings.exposure)
    }

    /// Captures until the calling task is cancelled; the link then says `stopped`.
    public func run() async {
        var warnedAbsent = false
        while !Task.isCancelled {
            state = .searching
            if link.phase != .searching { await setPhase(.searching) }
            let match = settings.device
            let found: USBDeviceInfo?
            do {
                found = try await BlockingIO.run {
                    try USBContext.with { context in match.select(from: try context.devices(readStrings: true)) }
                }
            } catch {
                found = nil
                link.lastError = "\(error)"
                logger.error("cannot list USB devices", metadata: ["error": "\(error)"])
            }
            guard let device = found else {
                if !warnedAbsent {
                    logger.warning("USB capture device not found; waiting for it", metadata: ["device": "\(match)"])
                    warnedAbsent = true
                }
                try? await Task.sleep(for: .seconds(settings.searchIntervalSeconds))
                continue
            }
            warnedAbsent = false
            await streamSession(device)
            guard !Task.isCancelled else { break }
            state = .waiting
            try? await Task.sleep(for: .seconds(settings.searchIntervalSeconds))
        }
        state = .stopped
        await setPhase(.stopped)
    }

    /// One session with one device: negotiate, stream, detect, store, until the stream ends.
    private func streamSession(_ device: USBDeviceInfo) async {
        state = .streaming(device)
        if everConnected { link.reconnects += 1 }
        everConnected = true
        link.device = "\(device.name) on \(device.location)"
        link.speed = device.speed.rawValue
        link.counters = UVCStreamCounters()
        await setPhase(.connecting)
        logger.notice("USB capture device found", metadata: ["device": "\(device.name)", "location": "\(device.location)", "speed": "\(device.speed.rawValue)"])
        detector = ExposureDetector(settings: settings.exposure)
        let stop = USBStopSignal()
        // Unbounded, so no drop report or end is lost; frames are skipped at the source instead
        // when detection falls behind (``FrameBacklog``).
        let (events, continuation) = AsyncStream<StreamEvent>.makeStream(bufferingPolicy: .unbounded)
        let backlog = FrameBacklog()
        let preferences = settings.preferences
        let idleTimeout = UInt32(settings.stallTimeoutSeconds * 1000)
        let thread = Thread {
            Self.stream(device: device, preferences: preferences, idleTimeout: idleTimeout, stop: stop, backlog: backlog, continuation: continuation)
        }
        thread.name = "usb-capture"
        thread.start()
        var selection: UVCStreamSelection?
        var reportedInvalidHeaders = 0
        var reportedPacketErrors = 0
        await withTaskCancellationHandler {
            for await event in events {
                switch event {
                case .negotiated(let chosen):
                    selection = chosen
                    link.stream = chosen.description
                    link.lastError = nil
                    await setPhase(.streaming)
                    logger.notice("USB capture streaming", metadata: ["device": "\(device.name)", "stream": "\(chosen)"])
                case .frame(let frame, let counters):
                    backlog.taken()
                    link.framesSkipped = backlog.skipped
                    await updateCounters(counters, invalid: &reportedInvalidHeaders, packets: &reportedPacketErrors)
                    guard let selection else { continue }
                    await process(frame, device: device, selection: selection)
                case .dropped(let reason, let bytes, let counters):
                    await updateCounters(counters, invalid: &reportedInvalidHeaders, packets: &reportedPacketErrors)
                    logger.warning("USB frame dropped", metadata: ["reason": "\(reason.rawValue)", "bytes": "\(bytes)", "dropped_total": "\(counters.dropped)"])
                case .ended(let error, let counters):
                    await updateCounters(counters, invalid: &reportedInvalidHeaders, packets: &reportedPacketErrors)
                    link.totalCounters = link.totalCounters + counters
                    if let error {
                        link.lastError = error.description
                        if error.isDisconnect {
                            logger.warning("USB capture device gone; waiting for it to come back", metadata: ["device": "\(device.name)", "error": "\(error)"])
                        } else {
                            logger.error("USB capture stream failed; reopening the device", metadata: ["device": "\(device.name)", "error": "\(error)"])
                        }
                        await setPhase(.lost)
                    }
                }
            }
        } onCancel: {
            stop.raise()
        }
    }

    /// The streaming thread: everything libusb lives inside these `with` scopes.
    private nonisolated static func stream(
        device: USBDeviceInfo, preferences: UVCStreamPreferences, idleTimeout: UInt32, stop: USBStopSignal,
        backlog: FrameBacklog, continuation: AsyncStream<StreamEvent>.Continuation
    ) {
        var counters = UVCStreamCounters()
        do {
            try USBContext.with { context in
                try context.withOpenDevice(device) { handle in
                    let camera = try UVCCamera(channel: handle)
                    let selection = try camera.negotiate(preferences)
                    continuation.yield(.negotiated(selection))
                    try camera.stream(selection, idleTimeoutMilliseconds: idleTimeout, until: stop, counters: &counters) { event, snapshot in
                        switch event {
                        case .frame(let frame):
                            if backlog.offer() { continuation.yield(.frame(frame, snapshot)) }
                        case .dropped(let reason, let bytes): continuation.yield(.dropped(reason, bytes: bytes, snapshot))
                        }
                    }
                }
            }
            continuation.yield(.ended(nil, counters))
        } catch let error as USBError {
            continuation.yield(.ended(error, counters))
        } catch {
            continuation.yield(.ended(USBError(.other, "\(error)"), counters))
        }
        continuation.finish()
    }

    private func updateCounters(_ counters: UVCStreamCounters, invalid: inout Int, packets: inout Int) async {
        link.counters = counters
        if counters.invalidHeaders > invalid {
            logger.warning("USB payloads with invalid headers ignored", metadata: ["new": "\(counters.invalidHeaders - invalid)", "total": "\(counters.invalidHeaders)"])
            invalid = counters.invalidHeaders
        }
        if counters.packetErrors > packets {
            logger.warning("USB packets failed on the bus", metadata: ["new": "\(counters.packetErrors - packets)", "total": "\(counters.packetErrors)"])
            packets = counters.packetErrors
        }
        if Date().timeIntervalSince(lastLinkReport) > Self.counterReportInterval { await reportLink() }
    }

    private func process(_ frame: UVCFrame, device: USBDeviceInfo, selection: UVCStreamSelection) async {
        let image: GrayscaleImage
        do {
            image = try FrameConverter.grayscale(frame)
        } catch {
            link.undecodableFrames += 1
            logger.warning("USB frame could not be decoded; dropped", metadata: ["error": "\(error)", "sequence": "\(frame.sequence)"])
            return
        }
        switch detector.feed(image) {
        case .none:
            return
        case .changeStarted(let difference):
            logger.info("picture changed sharply; watching for an exposure", metadata: ["difference": "\(Int(difference))"])
        case .settledWithoutCapture(let reason):
            logger.info("picture settled without a capture", metadata: ["reason": "\(reason)"])
        case .capture(let average, let frames):
            do {
                let stored = try await sink.store(USBExposure(image: average, framesIntegrated: frames, device: device, stream: selection))
                link.captures += 1
                link.lastCaptureAt = Date()
                await reportLink()
                logger.notice("exposure captured", metadata: ["sop_instance_uid": "\(stored)", "frames": "\(frames)"])
            } catch {
                link.lastError = "capture not stored: \(error)"
                logger.error("exposure captured but not stored", metadata: ["error": "\(error)"])
            }
        }
    }

    private func setPhase(_ phase: USBLinkState.Phase) async {
        link.phase = phase
        link.since = Date()
        await reportLink()
    }

    private func reportLink() async {
        lastLinkReport = Date()
        await sink.linkChanged(link)
    }
}
