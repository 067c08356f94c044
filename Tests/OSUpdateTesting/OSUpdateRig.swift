import Appliance
import FluoroboxTestSupport
import Foundation
import Testing

/// `fluorobox os` on this machine: real RAUC bundles, signed by a test PKI (image/update-pki),
/// checked by the real `rauc info` and the box's own dm-verity check. Only what needs real slots
/// is stood in for, by a `rauc` in front of the real one: `install` and `status mark-good` are
/// recorded (image/test-update does those for real in QEMU). The boot loader backend's `describe` prints ``slots`` and the kernel command
/// line the booted one: ``boot(_:slots:)`` sets what a reboot would have made of them.
///
/// A box (system.conf with the test CA, compatible, version 0.1.0) and bundles for it.
public final class OSUpdateRig: Sendable {
    public let folder = TemporaryDirectory("os-update")
    public var trusted: String { folder.file("pki-trusted") }
    public var foreign: String { folder.file("pki-foreign") }
    public var calls: String { folder.file("rauc-calls.log") }

    public init() async throws {
        let pki = TestData.packageRoot + "/image/update-pki"
        for (dir, name) in [(trusted, "Fluorobox TEST update"), (foreign, "Somebody else")] {
            let made = try await ProcessRunner.run(pki, [dir, name])
            try #require(made.status == 0, "\(made.stderr)")
        }
        try """
            [system]
            compatible=fluorobox-test
            bootloader=noop
            bundle-formats=-plain
            data-directory=\(folder.file("rauc-data"))

            [keyring]
            path=\(trusted)/ca.pem
            check-purpose=codesign
            """.write(toFile: folder.file("system.conf"), atomically: true, encoding: .utf8)
        try "0.1.0+d973437\n".write(toFile: folder.file("version"), atomically: true, encoding: .utf8)
        // The stand-in: `info` is the real one; install and mark-good are only recorded.
        try """
            #!/bin/bash
            conf=$1; shift
            case "$1" in
              info) exec /usr/bin/rauc "$conf" "$@" ;;
              *) echo "$*" >>\(calls) ;;
            esac
            """.write(toFile: folder.file("rauc"), atomically: true, encoding: .utf8)
        try "#!/bin/sh\necho 'a good no - 0.1.0+d973437'\necho 'b trial yes 3 0.2.0'\n"
            .write(toFile: folder.file("bootloader"), atomically: true, encoding: .utf8)
        try "BOOT_IMAGE=/vmlinuz rauc.slot=a quiet\n".write(toFile: commandLine, atomically: true, encoding: .utf8)
        for tool in ["rauc", "bootloader"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.file(tool))
        }
    }

    /// `fluorobox os` on the rig's stand-ins.
    public var updater: OSUpdater {
        var updater = OSUpdater(
            rauc: RaucTool(
                executable: folder.file("rauc"), configuration: folder.file("system.conf"),
                bootloaderBackend: folder.file("bootloader")),
            runningVersionFile: folder.file("version"), recordFile: folder.file("os-update.json"))
        updater.commandLineFile = commandLine
        return updater
    }

    /// The kernel command line the box booted with (it names the slot).
    public var commandLine: String { folder.file("cmdline") }

    /// As after a reboot: booted from `slot`, the boot loader's slots as `describe` prints them
    /// ("SLOT STATE NEXT TRIES_LEFT VERSION"), and the running version.
    public func boot(_ slot: String, slots: [String], version: String) throws {
        try "BOOT_IMAGE=/vmlinuz rauc.slot=\(slot) quiet\n".write(toFile: commandLine, atomically: true, encoding: .utf8)
        try ("#!/bin/sh\n" + slots.map { "echo '\($0)'\n" }.joined()).write(toFile: folder.file("bootloader"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.file("bootloader"))
        try "\(version)\n".write(toFile: folder.file("version"), atomically: true, encoding: .utf8)
    }

    /// A verity bundle of `imageSize` random bytes as its root file system image.
    public func bundle(
        _ name: String, version: String, compatible: String = "fluorobox-test", signedBy pki: String? = nil, imageSize: Int = 256 * 1024
    ) async throws -> String {
        let content = folder.file("\(name).content")
        try FileManager.default.createDirectory(atPath: content, withIntermediateDirectories: true)
        let image = (0..<imageSize).map { _ in UInt8.random(in: 0...255) }
        try Data(image).write(to: URL(fileURLWithPath: content + "/rootfs.ext4"))
        try """
            [update]
            compatible=\(compatible)
            version=\(version)

            [bundle]
            format=verity

            [image.rootfs]
            filename=rootfs.ext4
            """.write(toFile: content + "/manifest.raucm", atomically: true, encoding: .utf8)
        let keys = pki ?? trusted
        let output = folder.file("\(name).raucb")
        let made = try await ProcessRunner.run(
            "/usr/bin/rauc", ["bundle", "--cert=\(keys)/signing.pem", "--key=\(keys)/signing.key", content, output])
        try #require(made.status == 0, "\(made.stderr)")
        return output
    }

    public var raucCalls: [String] {
        ((try? String(contentsOfFile: calls, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
}

