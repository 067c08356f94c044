import Foundation
import PlatformHub
import StudyStore

/// A heartbeat as an operator reads it in a terminal.
enum HeartbeatText {
    /// The `device list` columns: agent, models, backlog, disk, skew, last error.
    static func summary(_ latest: HubHeartbeat?, version: String?) -> [String] {
        guard let latest else { return ["agent \(version ?? "-")", "no heartbeat"] }
        let beat = latest.heartbeat
        let models = beat.models.isEmpty ? "none" : beat.models.map(model).joined(separator: ",")
        let oldest = beat.backlog.compactMap(\.oldestAgeSeconds).max()
        return [
            "agent \(beat.agentVersion)",
            "models \(models)",
            "backlog \(beat.backlogCount) items \(bytes(beat.backlogBytes))\(oldest.map { " oldest \(age($0))" } ?? "")",
            "disk \(bytes(beat.freeDiskBytes)) free\(beat.daysOfCapacity.map { ", \(String(format: "%.0f", $0)) days" } ?? "")",
            "skew \(beat.clockSkewSeconds.map(skew) ?? "unknown")",
            "last error \(beat.errors.first.map { "\($0.source): \($0.message.prefix(80))" } ?? "none")",
        ]
    }

    /// `device show`: the latest in full, then one line per earlier heartbeat.
    static func show(_ heartbeats: [HubHeartbeat]) -> String {
        guard let latest = heartbeats.first else { return "no heartbeat" }
        let format = ISO8601DateFormatter()
        let beat = latest.heartbeat
        var lines = [
            "device \(latest.device)",
            "received \(format.string(from: latest.receivedAt)) (sent \(format.string(from: beat.sentAt)) by the box's clock)",
            "agent \(beat.agentVersion), up \(age(beat.uptimeSeconds))",
            "clock skew \(beat.clockSkewSeconds.map(skew) ?? "unknown (no platform time yet)")",
            "disk \(bytes(beat.freeDiskBytes)) free, \(beat.daysOfCapacity.map { String(format: "%.1f days of capacity", $0) } ?? "days of capacity unknown (no recent intake)")",
            "models:",
        ]
        lines += beat.models.isEmpty ? ["  none"] : beat.models.map { "  \($0.task)\t\($0.id)@\($0.version)\t\($0.use)" }
        lines.append("backlog:")
        lines += beat.backlog.isEmpty ? ["  none"] : beat.backlog.map {
            "  \($0.destination)\t\($0.count) items\t\(bytes($0.bytes))\toldest \($0.oldestAgeSeconds.map(age) ?? "-")"
        }
        lines.append("errors:")
        lines += beat.errors.isEmpty ? ["  none"] : beat.errors.map { "  \(format.string(from: $0.at))\t\($0.source)\t\($0.message)" }
        if heartbeats.count > 1 {
            lines.append("earlier heartbeats (\(heartbeats.count - 1)):")
            for earlier in heartbeats.dropFirst() {
                lines.append("  " + format.string(from: earlier.receivedAt) + "\t" + summary(earlier, version: nil).joined(separator: "\t"))
            }
        }
        return lines.joined(separator: "\n")
    }

    static func model(_ model: DeviceHeartbeat.Model) -> String {
        "\(model.task)=\(model.id)@\(model.version)\(model.use == "clinical" ? "" : "(demo)")"
    }

    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(count), unit = 0
        while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func age(_ seconds: Double) -> String {
        switch seconds {
        case ..<120: String(format: "%.0f s", seconds)
        case ..<7200: String(format: "%.0f min", seconds / 60)
        case ..<172_800: String(format: "%.1f h", seconds / 3600)
        default: String(format: "%.1f days", seconds / 86_400)
        }
    }

    static func skew(_ seconds: Double) -> String { String(format: "%+.1f s", seconds) }
}
