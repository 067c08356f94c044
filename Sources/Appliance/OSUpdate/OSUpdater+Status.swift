import Foundation

extension OSUpdater {
    /// One root slot as the boot loader sees it (`rauc-bootloader describe`).
    public struct Slot: Sendable, Codable, Equatable {
        public enum State: String, Sendable, Codable {
            /// Marked good: boots without counting.
            case good
            /// Newly installed: boots with `triesLeft` tries to become ready.
            case trial
            /// No tries left, not written, or half-written: never booted.
            case bad
        }
        public let name: String
        public let state: State
        /// systemd-boot boots this one next.
        public let primary: Bool
        public let triesLeft: Int?
        public let version: String?

        /// Parses a `describe` line: "SLOT STATE NEXT TRIES_LEFT VERSION".
        init?(describeLine line: Substring) {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= 5, let state = State(rawValue: fields[1]) else { return nil }
            self.name = fields[0]
            self.state = state
            self.primary = fields[2] == "yes"
            self.triesLeft = Int(fields[3])
            self.version = fields[4] == "-" ? nil : fields[4]
        }
    }

    public struct Status: Sendable, Codable {
        public let booted: String?
        public let runningVersion: String?
        public let slots: [Slot]
        public let last: OSUpdateRecord?
        /// The last update's outcome in words (nil when there was none).
        public let outcome: String?
    }

    public func slots() throws(OSUpdateError) -> [Slot] {
        let description: String
        if readsPublishedSlots {
            guard let text = try? String(contentsOfFile: publishedSlotsFile, encoding: .utf8) else {
                throw OSUpdateError(.unavailable, "boot loader state: \(publishedSlotsFile) is missing (root publishes it before the agent starts: `rauc-bootloader publish`)")
            }
            description = text
        } else {
            let output = try RaucTool.run(rauc.bootloaderBackend, ["describe"])
            guard output.status == 0 else { throw OSUpdateError(.unavailable, "boot loader state: \(output.reason)") }
            description = output.stdout
        }
        return description.split(separator: "\n").compactMap { Slot(describeLine: $0) }
    }

    /// The booted slot, from the kernel command line the boot loader gave (rauc.slot=).
    public func bootedSlot(commandLine: String? = nil) throws(OSUpdateError) -> String {
        guard let text = try? String(contentsOfFile: commandLine ?? commandLineFile, encoding: .utf8),
            let slot = text.split(whereSeparator: \.isWhitespace).first(where: { $0.hasPrefix("rauc.slot=") })
        else { throw OSUpdateError(.unavailable, "no rauc.slot= on the kernel command line") }
        return String(slot.dropFirst("rauc.slot=".count))
    }

    public func status() throws(OSUpdateError) -> Status {
        let slots = try slots()
        let booted = try? bootedSlot()
        let last = lastRecord()
        return Status(
            booted: booted, runningVersion: try? runningVersion().text, slots: slots, last: last,
            outcome: Self.outcome(of: last, booted: booted, slots: slots))
    }

    /// What became of the last install, judged by where the box booted since.
    static func outcome(of record: OSUpdateRecord?, booted: String?, slots: [Slot]) -> String? {
        guard let record else { return nil }
        let version = record.version ?? "?"
        switch record.event {
        case .refused:
            return "refused \(record.bundle ?? "a bundle") at \(record.at): \(record.detail ?? "")"
        case .failed:
            return "installing \(version) failed at \(record.at): \(record.detail ?? "")"
        case .markedGood:
            return "slot \(record.slot ?? "?") (\(version)) marked good at \(record.at)"
        case .installed:
            guard let target = record.slot, let slot = slots.first(where: { $0.name == target }) else {
                return "installed \(version) at \(record.at)"
            }
            if target == booted {
                return slot.state == .trial
                    ? "running \(version) from slot \(target) on trial (\(slot.triesLeft ?? 0) tries left); marked good once the agent is ready"
                    : "updated to \(version) (slot \(target))"
            }
            if slot.state == .bad {
                return "update to \(version) FAILED: slot \(target) did not become ready within its tries; the box is back on slot \(booted ?? "?")"
            }
            return "installed \(version) into slot \(target) at \(record.at); it boots at the next reboot"
        }
    }
}
