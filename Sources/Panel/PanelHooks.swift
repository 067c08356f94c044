/// What the agent lets the panel do and see beyond the store.
public struct PanelHooks: Sendable {
    public var system: @Sendable () async -> SystemSummary
    /// True once every service of the agent is serving.
    public var isReady: @Sendable () async -> Bool
    public var selfTestChecks: @Sendable () -> [SelfTestCheck]
    /// The effective configuration as key → value, secrets already left out.
    public var configuration: @Sendable () -> [String: String]
    /// Files whose tail goes into the diagnostics bundle (redacted).
    public var logFiles: [String]
    /// systemd units whose journal tail goes into the bundle, where journalctl exists.
    public var journalUnits: [String]
    /// Restarts the agent's services; nil where the panel cannot (tests without an agent).
    public var restartServices: (@Sendable () async -> Void)?
    /// The active model packages (`ID@VERSION`) whose manifest states demonstration use (or
    /// none): every page then says their findings mean nothing. Asked on every page, so cheap.
    public var demonstrationModels: @Sendable () async -> [String]
    /// The root slots (A/B); nil on a box without them (development, tests).
    public var osSlots: @Sendable () async -> OSSlotsSummary?
    /// Reboots into the OS update that waits in the other slot; nil where the panel cannot.
    public var rebootIntoOSUpdate: (@Sendable () async throws -> Void)?

    public init(
        system: @escaping @Sendable () async -> SystemSummary,
        isReady: @escaping @Sendable () async -> Bool = { true },
        selfTestChecks: @escaping @Sendable () -> [SelfTestCheck] = { [] },
        configuration: @escaping @Sendable () -> [String: String] = { [:] },
        logFiles: [String] = [],
        journalUnits: [String] = [],
        restartServices: (@Sendable () async -> Void)? = nil,
        demonstrationModels: @escaping @Sendable () async -> [String] = { [] },
        osSlots: @escaping @Sendable () async -> OSSlotsSummary? = { nil },
        rebootIntoOSUpdate: (@Sendable () async throws -> Void)? = nil
    ) {
        self.system = system
        self.isReady = isReady
        self.selfTestChecks = selfTestChecks
        self.configuration = configuration
        self.logFiles = logFiles
        self.journalUnits = journalUnits
        self.restartServices = restartServices
        self.demonstrationModels = demonstrationModels
        self.osSlots = osSlots
        self.rebootIntoOSUpdate = rebootIntoOSUpdate
    }
}
