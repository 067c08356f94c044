import Foundation
import POSIXSupport

extension OSUpdater {
    /// Checks the bundle, then has RAUC install it into the slot not booted; records the outcome.
    /// The agent keeps running: the new slot boots at the next reboot, chosen by a person.
    @discardableResult
    public func install(bundle: String) throws(OSUpdateError) -> (info: BundleInfo, slot: String?) {
        let info: BundleInfo
        do {
            info = try check(bundle: bundle)
        } catch {
            record(OSUpdateRecord(event: .refused, bundle: bundle, detail: "\(error)"))
            throw error
        }
        let output = try rauc.rauc(["install", bundle])
        guard output.status == 0 else {
            record(OSUpdateRecord(event: .failed, bundle: bundle, version: info.version, detail: output.reason))
            throw OSUpdateError(.installFailed, output.reason)
        }
        let slot = (try? slots())?.first { $0.primary }?.name
        record(OSUpdateRecord(event: .installed, bundle: bundle, version: info.version, slot: slot))
        return (info, slot)
    }

    /// `rauc status mark-good`: the booted slot stays (its boot counter is dropped).
    public func markGood() throws(OSUpdateError) {
        let output = try rauc.rauc(["status", "mark-good"])
        guard output.status == 0 else { throw OSUpdateError(.unavailable, "rauc status mark-good: \(output.reason)") }
        let booted = try? bootedSlot()
        record(OSUpdateRecord(event: .markedGood, version: try? runningVersion().text, slot: booted))
    }

    func record(_ record: OSUpdateRecord) {
        guard let bytes = try? JSONEncoder.indented().encode(record) else { return }
        let directory = (recordFile as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try? Array(bytes).withUnsafeBytes { try Posix.replaceFile(recordFile, with: $0, mode: 0o644) }
    }

    public func lastRecord() -> OSUpdateRecord? {
        guard let data = FileManager.default.contents(atPath: recordFile)
            ?? (recordFile == Self.defaultRecordFile ? FileManager.default.contents(atPath: Self.legacyRecordFile) : nil)
        else { return nil }
        return try? JSONDecoder().decode(OSUpdateRecord.self, from: data)
    }
}
