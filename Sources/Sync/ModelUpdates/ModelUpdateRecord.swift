import Foundation
import POSIXSupport
import StudyStore

/// What became of one catalog entry (by its SHA-256): activated or refused, and why. Kept in
/// sync/model-updates.json so a refused package is not fetched again and status can show it.
public struct ModelUpdateRecord: Codable, Sendable, Hashable {
    public enum Outcome: String, Codable, Sendable {
        case activated
        case refused
    }

    public var file: String
    public var sha256: String
    public var package: String?
    public var outcome: Outcome
    public var reason: String?
    public var at: Date

    public static func path(in directory: DataDirectory) -> String {
        directory.path + "/sync/model-updates.json"
    }

    public static func readAll(in directory: DataDirectory) -> [String: ModelUpdateRecord] {
        guard let data = FileManager.default.contents(atPath: path(in: directory)) else { return [:] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return (try? decoder.decode([String: ModelUpdateRecord].self, from: data)) ?? [:]
    }

    static func writeAll(_ records: [String: ModelUpdateRecord], in directory: DataDirectory) throws {
        let data = try JSONEncoder.indented().encode(records)
        let path = path(in: directory)
        try Posix.makeDirectories(directory.path + "/sync", mode: 0o700)
        try data.withUnsafeBytes { bytes in
            try Posix.replaceFile(path, with: bytes, mode: 0o600, syncDirectory: false)
        }
    }
}
