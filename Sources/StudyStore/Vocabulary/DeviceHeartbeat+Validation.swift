import Foundation
import POSIXSupport

/// Why a heartbeat body cannot be taken as it is.
public struct HeartbeatError: Error, Sendable, CustomStringConvertible {
    private enum Code: String, Sendable {
        case tooLarge = "the heartbeat is too large"
        case malformed = "the heartbeat is not a heartbeat document"
        case unsupportedSchema = "the heartbeat's schema version is not one this side reads"
        case implausible = "the heartbeat holds an implausible value"
    }

    private let code: Code
    public let detail: String

    private init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    static func tooLarge(_ detail: String) -> HeartbeatError { HeartbeatError(.tooLarge, detail) }
    static func malformed(_ detail: String) -> HeartbeatError { HeartbeatError(.malformed, detail) }
    static func unsupportedSchema(_ detail: String) -> HeartbeatError { HeartbeatError(.unsupportedSchema, detail) }
    static func implausible(_ detail: String) -> HeartbeatError { HeartbeatError(.implausible, detail) }

    /// Larger than ``DeviceHeartbeat/maxBytes`` (the hub answers 413, everything else 400).
    public var isTooLarge: Bool { code == .tooLarge }
    public var description: String { "\(code.rawValue): \(detail)" }
}

extension DeviceHeartbeat {
    /// The heartbeat a body holds, checked: size, schema version, then every value plausible
    /// (bounded lists and strings, no negative counts, finite numbers).
    public static func parse(_ bytes: [UInt8]) throws(HeartbeatError) -> DeviceHeartbeat {
        guard bytes.count <= maxBytes else { throw .tooLarge("\(bytes.count) bytes; at most \(maxBytes)") }
        let data = Data(bytes)
        // The version first: a newer box's document may not decode as this one at all.
        struct Versioned: Decodable { var schema: Int }
        let schema: Int
        do {
            schema = try JSONDecoder().decode(Versioned.self, from: data).schema
        } catch {
            throw .malformed("no integer \"schema\": \(Self.reason(error))")
        }
        guard schema == schemaVersion else { throw .unsupportedSchema("schema \(schema); this side reads \(schemaVersion)") }
        let heartbeat: DeviceHeartbeat
        do {
            heartbeat = try decoder.decode(DeviceHeartbeat.self, from: data)
        } catch {
            throw .malformed(Self.reason(error))
        }
        return try heartbeat.checked()
    }

    /// This heartbeat when every value is plausible (``parse(_:)``'s checks after decoding), its
    /// text cleaned for storage: for a heartbeat something else decoded (the hub's generated API).
    public func checked() throws(HeartbeatError) -> DeviceHeartbeat {
        try validate()
        return withoutNUL()
    }

    /// PostgreSQL's jsonb cannot hold U+0000, and a box's names and messages never need it: it
    /// becomes U+FFFD rather than costing the device its heartbeat (or the hub a 500).
    func withoutNUL() -> DeviceHeartbeat {
        func clean(_ text: String) -> String {
            text.contains("\u{0}") ? text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : text
        }
        var copy = self
        copy.agentVersion = clean(agentVersion)
        copy.models = models.map { Model(task: clean($0.task), id: clean($0.id), version: clean($0.version), use: $0.use) }
        copy.backlog = backlog.map { entry in
            var entry = entry
            entry.destination = clean(entry.destination)
            return entry
        }
        copy.errors = errors.map { RecentError(at: $0.at, source: clean($0.source), message: clean($0.message)) }
        return copy
    }

    /// The bytes the box sends and the hub keeps (sorted keys, ISO 8601 dates).
    public func encoded() -> [UInt8] {
        // Every field is a plain value: encoding cannot fail.
        Array((try? JSONEncoder.compact(escapingSlashes: false).encode(self)) ?? Data())
    }

    /// Dates as RFC 3339 allows them (what the API's `date-time` means): with or without
    /// fractional seconds, any UTC offset.
    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        // Two formatters per decoder, not per date (a heartbeat carries up to eleven dates).
        let formatters = RFC3339Formatters()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = formatters.plain.date(from: text) ?? formatters.fractional.date(from: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\"\(text.prefix(64))\" is not an RFC 3339 date-time"))
            }
            return date
        }
        return decoder
    }

    func validate() throws(HeartbeatError) {
        func name(_ value: String, _ field: String) throws(HeartbeatError) {
            guard (1...Self.maxNameLength).contains(value.count) else {
                throw .implausible("\(field) must be 1 to \(Self.maxNameLength) characters, is \(value.count)")
            }
        }
        func measure(_ value: Double?, _ field: String, nonNegative: Bool = true) throws(HeartbeatError) {
            guard let value else { return }
            guard value.isFinite, !nonNegative || value >= 0 else { throw .implausible("\(field) is \(value)") }
        }
        try name(agentVersion, "agentVersion")
        try measure(uptimeSeconds, "uptimeSeconds")
        guard freeDiskBytes >= 0 else { throw .implausible("freeDiskBytes is \(freeDiskBytes)") }
        try measure(daysOfCapacity, "daysOfCapacity")
        try measure(clockSkewSeconds, "clockSkewSeconds", nonNegative: false)
        guard models.count <= Self.maxModels else { throw .implausible("\(models.count) models; at most \(Self.maxModels)") }
        for model in models {
            try name(model.task, "a model's task")
            try name(model.id, "a model's id")
            try name(model.version, "a model's version")
            guard ["clinical", "demonstration"].contains(model.use) else {
                throw .implausible("model \(model.id.prefix(64)) has use \"\(model.use.prefix(64))\"; clinical or demonstration")
            }
        }
        guard backlog.count <= Self.maxDestinations else { throw .implausible("\(backlog.count) destinations; at most \(Self.maxDestinations)") }
        for entry in backlog {
            try name(entry.destination, "a backlog's destination")
            guard entry.count >= 0, entry.bytes >= 0 else {
                throw .implausible("destination \(entry.destination) has \(entry.count) items of \(entry.bytes) bytes")
            }
            try measure(entry.oldestAgeSeconds, "destination \(entry.destination)'s oldestAgeSeconds")
        }
        guard errors.count <= Self.maxErrors else { throw .implausible("\(errors.count) errors; at most \(Self.maxErrors)") }
        for error in errors {
            try name(error.source, "an error's source")
            guard error.message.count <= Self.maxMessageLength else {
                throw .implausible("an error's message has \(error.message.count) characters; at most \(Self.maxMessageLength)")
            }
        }
    }

    /// Cut down to what ``parse(_:)`` accepts: the newest errors, messages and names shortened.
    /// The box sends this, so a long error text never costs it its heartbeat.
    public func bounded() -> DeviceHeartbeat {
        func cut(_ text: String, _ limit: Int) -> String {
            text.isEmpty ? "-" : text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
        }
        var copy = self
        copy.agentVersion = cut(agentVersion, Self.maxNameLength)
        copy.models = models.prefix(Self.maxModels).map {
            Model(task: cut($0.task, Self.maxNameLength), id: cut($0.id, Self.maxNameLength), version: cut($0.version, Self.maxNameLength), use: $0.use)
        }
        copy.backlog = Array(backlog.prefix(Self.maxDestinations))
        copy.errors = errors.sorted { $0.at > $1.at }.prefix(Self.maxErrors).map {
            RecentError(at: $0.at, source: cut($0.source, Self.maxNameLength), message: String($0.message.prefix(Self.maxMessageLength)))
        }
        return copy
    }

    private static func reason(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context), .valueNotFound(_, let context):
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// The formatters of one decoder. A decoder decodes one document on one thread at a time, so
/// the non-Sendable formatters are never used concurrently.
private final class RFC3339Formatters: @unchecked Sendable {
    let plain = ISO8601DateFormatter()
    let fractional: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()
}
