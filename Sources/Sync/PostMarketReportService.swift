import Foundation
import Logging
import POSIXSupport
import ServiceLifecycle
import StudyStore

/// Queues the daily post-market report of every model version through the outbox, once per
/// finished UTC day: its key (device, model, version, day) makes a second queueing a no-op and a
/// second delivery harmless. Days are looked at back to `lookbackDays` (a box that was off).
/// Demonstration models' results are left out of the figures; each report says how many. A
/// shadow package's agreement with the active one goes the same way, one `shadow-agreement`
/// document per day and pair of packages.
public struct PostMarketReportService: Service {
    public static let name = "post-market-reports"

    let store: StudyStore
    let deviceID: String
    let intervalSeconds: Double
    let lookbackDays: Int
    let logger: Logger

    public init(store: StudyStore, deviceID: String, intervalSeconds: Double = 3600, lookbackDays: Int = 30, logger: Logger) {
        self.store = store
        self.deviceID = deviceID
        self.intervalSeconds = intervalSeconds
        self.lookbackDays = lookbackDays
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                _ = self.queueFinishedDays()
                try? await Task.sleep(for: .milliseconds(Int64(self.intervalSeconds * 1000)))
            }
        }
    }

    /// Queues the reports of every finished day not queued yet; returns their keys.
    @discardableResult
    public func queueFinishedDays(now: Date = Date()) -> [String] {
        guard ClockCheck.problem(now: now, platformTime: nil) == nil else {
            logger.warning("post-market reports wait for a plausible clock")
            return []
        }
        var queued: [String] = []
        do {
            guard let first = try store.firstAnalysisDay(), var day = StudyStore.startOfDay(first) else { return [] }
            let today = StudyStore.day(of: now)
            day = max(day, now.addingTimeInterval(-Double(lookbackDays) * 86_400))
            while StudyStore.day(of: day) < today {
                let name = StudyStore.day(of: day)
                for figures in try store.postMarketFigures(day: name, device: deviceID) {
                    let document = try JSONEncoder.compact().encode(figures)
                    if try store.queueDocument(
                        destination: .platform, kind: .report, key: figures.idempotencyKey, priority: .telemetry, document: Array(document)
                    ) {
                        queued.append(figures.idempotencyKey)
                        logger.info("post-market report queued", metadata: [
                            "key": "\(figures.idempotencyKey)", "processed": "\(figures.processed)",
                            "demonstration_left_out": "\(figures.demonstrationResultsLeftOut)",
                        ])
                    }
                }
                for agreement in try store.shadowAgreements(day: name, device: deviceID) {
                    let document = try JSONEncoder.compact().encode(agreement)
                    if try store.queueDocument(
                        destination: .platform, kind: .shadowAgreement, key: agreement.idempotencyKey, priority: .telemetry, document: Array(document)
                    ) {
                        queued.append(agreement.idempotencyKey)
                        logger.info("shadow agreement queued", metadata: ["key": "\(agreement.idempotencyKey)", "images": "\(agreement.images)"])
                    }
                }
                day = day.addingTimeInterval(86_400)
            }
        } catch {
            logger.error("cannot queue post-market reports", metadata: ["error": "\(error)"])
        }
        return queued
    }
}
