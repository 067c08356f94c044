import CoreMetrics
import Foundation
import Prometheus
import StudyStore
import Synchronization

/// /metrics: swift-metrics instruments on the panel's own Prometheus registry (not the global
/// bootstrap, so several panels in one test process do not collide). Counts and bytes only: no
/// patient data.
final class PanelMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    let failedLogins: CoreMetrics.Counter
    /// Logins refused because their address has to wait, and because the checker was full.
    let throttledLogins: CoreMetrics.Counter
    let busyLogins: CoreMetrics.Counter
    let feedback: CoreMetrics.Counter
    /// Labelled store gauges the last render set. A label that is gone from the store's figures
    /// (no analysis `running` any more, a destination whose outbox emptied) is set to 0, not
    /// left at its last value.
    private let labelledLastRender = Mutex<Set<LabelledGauge>>([])

    private struct LabelledGauge: Hashable {
        var name: String
        var label: String
        var value: String
    }

    init() {
        factory = PrometheusMetricsFactory(registry: registry)
        failedLogins = CoreMetrics.Counter(label: "fluorobox_panel_failed_logins_total", factory: factory)
        throttledLogins = CoreMetrics.Counter(label: "fluorobox_panel_throttled_logins_total", factory: factory)
        busyLogins = CoreMetrics.Counter(label: "fluorobox_panel_busy_logins_total", factory: factory)
        feedback = CoreMetrics.Counter(label: "fluorobox_feedback_recorded_total", factory: factory)
    }

    func request(status: Int) {
        CoreMetrics.Counter(label: "fluorobox_panel_requests_total", dimensions: [("status", String(status))], factory: factory).increment()
    }

    private func gauge(_ name: String, _ value: Double, _ dimensions: [(String, String)] = []) {
        CoreMetrics.Gauge(label: name, dimensions: dimensions, factory: factory).record(value)
    }

    /// Refreshes the store figures and renders the exposition text.
    func render(status: StoreStatus?, counters: WorklistCounters?, sessions: Int) -> String {
        if let status {
            gauge("fluorobox_studies", Double(status.studies))
            gauge("fluorobox_instances", Double(status.instances))
            gauge("fluorobox_instances_received_today", Double(status.instancesReceivedToday))
            var labelled = Set<LabelledGauge>()
            func record(_ name: String, _ value: Double, _ label: (String, String)) {
                gauge(name, value, [label])
                labelled.insert(LabelledGauge(name: name, label: label.0, value: label.1))
            }
            for (state, count) in status.analysesByStatus { record("fluorobox_analyses", Double(count), ("status", state)) }
            for destination in status.destinations {
                let label = ("destination", destination.destination)
                record("fluorobox_outbox_unsent_items", Double(destination.queued + destination.sending), label)
                record("fluorobox_outbox_unsent_bytes", Double(destination.backlogBytes), label)
                record("fluorobox_outbox_rejected_items", Double(destination.rejected), label)
                record("fluorobox_outbox_oldest_unsent_age_seconds", destination.oldestUnsentAt.map { Date().timeIntervalSince($0) } ?? 0, label)
            }
            let gone = labelledLastRender.withLock { last in
                defer { last = labelled }
                return last.subtracting(labelled)
            }
            for stale in gone { gauge(stale.name, 0, [(stale.label, stale.value)]) }
            gauge("fluorobox_storage_available_bytes", Double(status.storage.availableBytes))
            gauge("fluorobox_storage_total_bytes", Double(status.storage.totalBytes))
            gauge("fluorobox_storage_store_bytes", Double(status.storage.storeBytes))
            if let quarantine = status.quarantine {
                gauge("fluorobox_quarantine_files", Double(quarantine.files))
                gauge("fluorobox_quarantine_bytes", Double(quarantine.bytes))
            }
        }
        if let counters {
            gauge("fluorobox_studies_flagged", Double(counters.flaggedStudies))
            // Not dismissed: what a technician still has to look at (fluorobox_analyses counts all).
            gauge("fluorobox_analyses_failed_undismissed", Double(counters.failedAnalyses))
        }
        gauge("fluorobox_panel_sessions", Double(sessions))
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
