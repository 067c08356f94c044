import Foundation

extension OSUpdater.Status {
    /// The slot an installed update waits in: not booted, next to boot, on trial (it gets its
    /// tries at the next reboot). nil when nothing waits for a reboot.
    public var waitingSlot: OSUpdater.Slot? {
        slots.first { $0.name != booted && $0.primary && $0.state == .trial }
    }

    /// What became of the update installed into `slot`, judged by where the box booted since:
    /// nil while it has not booted there (or is still on trial).
    public func bootOutcome(ofSlot slot: String) -> OSUpdateBootOutcome? {
        guard let state = slots.first(where: { $0.name == slot })?.state else { return nil }
        if booted == slot, state == .good { return .markedGood }
        if let booted, booted != slot, state == .bad { return .fellBack(to: booted) }
        return nil
    }
}

/// Where an installed update ended after the reboot.
public enum OSUpdateBootOutcome: Sendable, Hashable {
    /// The new slot booted, the agent became ready, and the boot assessment marked it good.
    case markedGood
    /// The new slot spent its tries (or was marked bad): the box is back on the old one.
    case fellBack(to: String)
}
