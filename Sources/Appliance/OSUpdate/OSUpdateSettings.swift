/// OS updates from the platform (`os.*`): how often the assignment is asked for, and when the
/// box may reboot into an installed update by itself.
public struct OSUpdateSettings: Sendable, Hashable {
    /// 0: the box does not ask the platform for OS bundles (a USB stick still works).
    public var updateIntervalSeconds: Double = 3600
    /// nil: only the technician reboots into an installed update (the panel's device page).
    public var maintenanceWindow: MaintenanceWindow?
    /// In the window the box reboots only after this long without intake (and with no DICOM
    /// association open and no image waiting for analysis).
    public var quietMinutes: Double = 10
    /// What reboots the box.
    public var rebootCommand: [String] = ["/usr/bin/systemctl", "reboot"]

    public init() {}
}
