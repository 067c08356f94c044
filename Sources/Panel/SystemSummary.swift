import Foundation
import StudyStore

/// What the panel learns from the rest of the agent (capture sources, models, versions): the
/// agent fills it, so the panel shows each room as far as it exists.
public struct SystemSummary: Sendable, Codable, Hashable {
    public struct CaptureSource: Sendable, Codable, Hashable {
        /// `dicom-scp`, `usb`, `folder`.
        public var name: String
        /// e.g. `listening`, `streaming`, `disconnected`, `watching`.
        public var state: String
        public var detail: String?
        public var healthy: Bool

        public init(name: String, state: String, detail: String? = nil, healthy: Bool) {
            self.name = name
            self.state = state
            self.detail = detail
            self.healthy = healthy
        }
    }

    public struct Model: Sendable, Codable, Hashable {
        public var task: String
        public var active: String
        public var previous: String?
        /// The active package's manifest states demonstration use (or none).
        public var demonstration: Bool

        public init(task: String, active: String, previous: String? = nil, demonstration: Bool = false) {
            self.task = task
            self.active = active
            self.previous = previous
            self.demonstration = demonstration
        }
    }

    /// What one destination's sync worker last said (run/sync-<destination>.json in the agent).
    public struct SyncState: Sendable, Codable, Hashable {
        public var destination: String
        public var phase: SyncPhase
        public var lastSuccessAt: Date?
        public var lastError: String?
        public var lastErrorAt: Date?
        public var consecutiveFailures: Int

        public init(destination: String, phase: SyncPhase, lastSuccessAt: Date? = nil, lastError: String? = nil, lastErrorAt: Date? = nil, consecutiveFailures: Int = 0) {
            self.destination = destination
            self.phase = phase
            self.lastSuccessAt = lastSuccessAt
            self.lastError = lastError
            self.lastErrorAt = lastErrorAt
            self.consecutiveFailures = consecutiveFailures
        }
    }

    public var version: String
    public var startedAt: Date?
    public var captureSources: [CaptureSource]
    /// Nil when the packages could not be read (``modelsProblem``).
    public var models: [Model]?
    public var modelsProblem: String?
    /// Library and component versions.
    public var components: [String: String]
    /// Per destination, from the sync workers; empty where no sync runs.
    public var sync: [SyncState]
    /// Why the box's clock cannot be right (the sync clock check), nil when it looks plausible.
    public var clockProblem: String?

    public init(
        version: String, startedAt: Date? = nil, captureSources: [CaptureSource] = [], models: [Model]? = [],
        modelsProblem: String? = nil, components: [String: String] = [:], sync: [SyncState] = [], clockProblem: String? = nil
    ) {
        self.version = version
        self.startedAt = startedAt
        self.captureSources = captureSources
        self.models = models
        self.modelsProblem = modelsProblem
        self.components = components
        self.sync = sync
        self.clockProblem = clockProblem
    }
}
