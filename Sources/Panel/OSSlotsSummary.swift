/// The box's root slots as the device page shows them: the agent fills it from RAUC and the
/// boot loader (`fluorobox os status`), so the panel needs neither.
public struct OSSlotsSummary: Sendable, Codable, Hashable {
    public struct Slot: Sendable, Codable, Hashable {
        public var name: String
        /// The version of the system in it; nil when none was written.
        public var version: String?
        /// `good`, `trial` or `bad`.
        public var state: String
        /// The boot loader boots it next.
        public var bootsNext: Bool

        public init(name: String, version: String?, state: String, bootsNext: Bool) {
            self.name = name
            self.version = version
            self.state = state
            self.bootsNext = bootsNext
        }
    }

    public var bootedSlot: String?
    public var runningVersion: String?
    public var slots: [Slot]
    /// The last update's outcome in words (nil when there was none).
    public var lastOutcome: String?
    /// The version installed into the other slot that boots at the next reboot (nil: none waits).
    public var waitingVersion: String?

    public init(bootedSlot: String?, runningVersion: String?, slots: [Slot], lastOutcome: String?, waitingVersion: String?) {
        self.bootedSlot = bootedSlot
        self.runningVersion = runningVersion
        self.slots = slots
        self.lastOutcome = lastOutcome
        self.waitingVersion = waitingVersion
    }
}
