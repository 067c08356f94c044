import Foundation

/// The box's own readings: load, temperature, uptime, from /proc and /sys/class/thermal.
public struct HostReadings: Sendable, Codable, Hashable {
    public var loadAverage: [Double]?
    /// Celsius, per thermal zone, where the board exposes them.
    public var temperatures: [String: Double]
    public var systemUptimeSeconds: Double?

    public static func read() -> HostReadings {
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))
            .map { $0.split(separator: " ").prefix(3).compactMap { Double($0) } }
        var temperatures: [String: Double] = [:]
        let zones = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/thermal")) ?? []
        for zone in zones.sorted() where zone.hasPrefix("thermal_zone") {
            let base = "/sys/class/thermal/" + zone
            guard let raw = try? String(contentsOfFile: base + "/temp", encoding: .utf8),
                  let milli = Double(raw.trimmingCharacters(in: .whitespacesAndNewlines)) else { continue }
            let type = (try? String(contentsOfFile: base + "/type", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? zone
            temperatures[type] = milli / 1000
        }
        let uptime = (try? String(contentsOfFile: "/proc/uptime", encoding: .utf8))
            .flatMap { $0.split(separator: " ").first.flatMap { Double($0) } }
        return HostReadings(loadAverage: load, temperatures: temperatures, systemUptimeSeconds: uptime)
    }
}
