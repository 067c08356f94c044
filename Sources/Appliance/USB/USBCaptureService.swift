import Foundation
import Logging
import ServiceLifecycle
import StudyStore
import USBCapture

/// Captures from the configured USB video device for as long as the agent runs: the hot-plug loop
/// lives in USBCapture (``USBCaptureLoop``); this service starts it once the store is ready,
/// settles what an interrupted capture left, and gives it ``USBCaptureStorage`` as its sink.
/// Nothing here can stop the agent's other intake.
public struct USBCaptureService: Service {
    public static let name = "usb-capture"

    private let settings: USBCaptureSettings
    private let recorder: USBCaptureRecorder
    private let gate: ReadinessGate?
    private let loop: USBCaptureLoop
    private let logger: Logger

    public init(settings: USBCaptureSettings, recorder: USBCaptureRecorder, gate: ReadinessGate?, runState: RunStateFiles?, logger: Logger) {
        self.settings = settings
        self.recorder = recorder
        self.gate = gate
        self.logger = logger
        loop = USBCaptureLoop(
            settings: settings.loop,
            sink: USBCaptureStorage(recorder: recorder, stationName: settings.stationName, runState: runState),
            logger: logger
        )
    }

    /// The link as the loop last saw it.
    public var link: USBLinkState {
        get async { await loop.link }
    }

    public func run() async throws {
        await gate?.ready(Self.name)
        if let settled = try? recorder.store.settleRegistrations(), settled > 0 {
            logger.notice("settled registration claims left by an interrupted capture", metadata: ["count": "\(settled)"])
        }
        logger.info("USB capture starting", metadata: ["device": "\(settings.device)", "formats": "\(settings.formats.map(\.name))"])
        await cancelWhenGracefulShutdown {
            await loop.run()
        }
    }
}
