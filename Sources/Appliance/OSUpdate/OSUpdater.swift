import Foundation
import POSIXSupport

/// `fluorobox os install|status|mark-good`: OS updates through RAUC (A/B root slots, signed
/// verity bundles, boot counting by systemd-boot; see docs/image.md, "OS updates").
///
/// RAUC checks the signature and the compatible and writes the slot; what is the box's own
/// rule is checked here first, before RAUC marks the other slot bad and writes it: no bundle
/// older than the running system, and every image of the bundle read in full through dm-verity
/// and equal to the SHA-256 its signed manifest names (RAUC itself reads a verity bundle's
/// payload lazily, as it writes, so a damaged one would fail half-way through the slot).
public struct OSUpdater: Sendable {
    public var rauc: RaucTool
    /// The running system's version (`/usr/lib/fluorobox/version` of the booted slot).
    public var runningVersionFile: String
    /// The last install's outcome, for `status` (on /data: the root is read-only).
    public var recordFile: String
    /// The kernel command line, which names the booted slot (tests point elsewhere).
    public var commandLineFile = "/proc/cmdline"

    public init(
        rauc: RaucTool = RaucTool(), runningVersionFile: String = "/usr/lib/fluorobox/version",
        recordFile: String = "/data/system/os-update.json"
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

    /// Verifies the bundle (signature, version, every image in full) and returns its manifest.
    public func check(bundle: String) throws(OSUpdateError) -> BundleInfo {
        let info = try verifiedInfo(bundle: bundle)
        guard let version = OSVersion(info.version) else {
            throw OSUpdateError(.older, "the bundle's version \(info.version) is not a version")
        }
        let running = try runningVersion()
        if version < running {
            throw OSUpdateError(.older, "bundle \(info.version) < running \(running)")
        }
        try checkPayload(bundle: bundle, info: info)
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

    /// Mounts the bundle as RAUC installs it (dm-verity over the payload) and reads every image
    /// to its end: a changed block fails the read, and the digest must be the manifest's.
    func checkPayload(bundle: String, info: BundleInfo) throws(OSUpdateError) {
        try? FileManager.default.createDirectory(atPath: rauc.mountPrefix, withIntermediateDirectories: true)
        let mounted = try rauc.rauc(["--mount=\(rauc.mountPrefix)", "mount", bundle])
        guard mounted.status == 0,
            let mountPoint = mounted.stdout.firstMatch(of: #/Mounted bundle at (.+?)\. /#)?.1
        else { throw OSUpdateError(.payload, "rauc mount: \(mounted.reason)") }
        defer { _ = try? RaucTool.run(rauc.umountExecutable, [String(mountPoint)]) }
        for image in info.files {
            let path = "\(mountPoint)/\(image.filename)"
            let digest: String
            do {
                digest = try SHA256Hex.string(ofFileAt: path)
            } catch {
                throw OSUpdateError(.payload, "\(image.filename) could not be read in full: \(error)")
            }
            guard digest == image.checksum.lowercased() else {
                throw OSUpdateError(.payload, "\(image.filename): SHA-256 \(digest), the manifest says \(image.checksum)")
            }
        }
    }
}
