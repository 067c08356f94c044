import Foundation
import POSIXSupport

/// `fluorobox os install|status|mark-good`: OS updates through RAUC (A/B root slots, signed
/// verity bundles, boot counting by systemd-boot; see docs/image.md, "OS updates").
///
/// RAUC checks the signature and the compatible and writes the slot; what is the box's own
/// rule is checked here first, before RAUC marks the other slot bad and writes it: no bundle
/// older than the running system, and the whole payload equal to what the signature covers
/// (``BundleVerity``: RAUC itself reads a verity bundle's payload lazily, as it writes, so a
/// damaged one would fail half-way through the slot).
public struct OSUpdater: Sendable {
    public var rauc: RaucTool
    /// The running system's version (`/usr/lib/fluorobox/version` of the booted slot).
    public var runningVersionFile: String
    /// The last install's outcome, for `status`: in the agent's data folder, the one place both
    /// root's `fluorobox os` and the sandboxed agent may write (the root is read-only).
    public var recordFile: String
    /// The kernel command line, which names the booted slot (tests point elsewhere).
    public var commandLineFile = "/proc/cmdline"
    /// The boot loader backend's description of the slots as root last published it
    /// (`rauc-bootloader publish`, at every agent start and every change through RAUC).
    public var publishedSlotsFile = "/run/fluorobox/boot-slots"
    /// Read ``publishedSlotsFile`` instead of running the backend, which mounts the ESP and so
    /// needs root: the agent, unprivileged in its sandbox, reads what root published.
    public var readsPublishedSlots = geteuid() != 0

    public static let defaultRecordFile = "/data/fluorobox/os-update.json"
    /// Where boxes kept ``defaultRecordFile`` before the agent could install (read when the new
    /// one is missing, so an update from such a box still reports its outcome).
    static let legacyRecordFile = "/data/system/os-update.json"

    public init(
        rauc: RaucTool = RaucTool(), runningVersionFile: String = "/usr/lib/fluorobox/version",
        recordFile: String = OSUpdater.defaultRecordFile
    ) {
        self.rauc = rauc
        self.runningVersionFile = runningVersionFile
        self.recordFile = recordFile
    }

    /// What `rauc info` verified of a bundle.
    public struct BundleInfo: Sendable, Decodable {
        public struct Image: Sendable, Decodable {
            public let filename: String
            public let checksum: String
        }
        public let compatible: String
        public let version: String
        public let images: [[String: Image]]
        public var files: [Image] { images.flatMap(\.values) }
    }

    public func runningVersion() throws(OSUpdateError) -> OSVersion {
        guard let text = try? String(contentsOfFile: runningVersionFile, encoding: .utf8),
            let version = OSVersion(text)
        else { throw OSUpdateError(.unavailable, "\(runningVersionFile) holds no version") }
        return version
    }

    /// Verifies the bundle (signature, version, the whole payload) and returns its manifest.
    public func check(bundle: String) throws(OSUpdateError) -> BundleInfo {
        let info = try verifiedInfo(bundle: bundle)
        guard let version = OSVersion(info.version) else {
            throw OSUpdateError(.older, "the bundle's version \(info.version) is not a version")
        }
        let running = try runningVersion()
        if version < running {
            throw OSUpdateError(.older, "bundle \(info.version) < running \(running)")
        }
        try verity(bundle: bundle).verify(bundle: bundle)
        return info
    }

    /// `rauc info`: the signature against the box's keyring, and the manifest.
    func verifiedInfo(bundle: String) throws(OSUpdateError) -> BundleInfo {
        let output = try rauc.rauc(["info", "--output-format=json", bundle])
        guard output.status == 0 else { throw OSUpdateError(.notVerified, output.reason) }
        do {
            return try JSONDecoder().decode(BundleInfo.self, from: Data(output.stdout.utf8))
        } catch {
            throw OSUpdateError(.notVerified, "rauc info printed no manifest: \(error)")
        }
    }

    /// The signed manifest's dm-verity fields (only `rauc info`'s text output has them); a bundle
    /// without them is not a verity bundle, the only format the box installs.
    func verity(bundle: String) throws(OSUpdateError) -> BundleVerity {
        let output = try rauc.rauc(["info", bundle])
        guard output.status == 0 else { throw OSUpdateError(.notVerified, output.reason) }
        guard let verity = BundleVerity(raucInfo: output.stdout) else {
            throw OSUpdateError(.notVerified, "rauc info names no dm-verity hash tree: not a verity bundle")
        }
        return verity
    }
}
