import Foundation
import POSIXSupport

/// Which package is active for a task, and which one was active before it (kept for rollback).
///
/// One file per task, `active/<task>.json` in the packages folder, replaced atomically (temp
/// file, fsync, rename, fsync folder), so after a crash at any step it names the old package
/// or the new one, never neither.
public struct ActivationRecord: Codable, Sendable, Hashable {
    public var task: String
    public var active: PackageReference
    public var previous: PackageReference?
    /// Package hash (SHA-256 of its manifest) of `active` when it was activated.
    public var activeSHA256: String
    /// ISO 8601 time of the change.
    public var changedAt: String
    /// "activate" or "rollback".
    public var change: String

    public init(task: String, active: PackageReference, previous: PackageReference?, activeSHA256: String, changedAt: String, change: String) {
        self.task = task
        self.active = active
        self.previous = previous
        self.activeSHA256 = activeSHA256
        self.changedAt = changedAt
        self.change = change
    }

    func encoded() -> Data {
        // Strings and optionals of strings always encode.
        return (try! JSONEncoder.indented(escapingSlashes: false).encode(self)) + Data("\n".utf8)
    }

    static func now() -> String {
        ISO8601DateFormatter().string(from: Date())
    }
}
