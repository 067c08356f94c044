import FluoroboxTestSupport
import Foundation
import Inference
import Testing

/// Package archives: what `model pack` writes unpacks to the same package; hostile archives
/// are refused before anything of them is used.
@Suite("model package archives")
struct ArchiveTests {
    let verifier = ModelPackageVerifier(trustedKeys: [PackageFixture.key.publicKey])

    func packed(_ folder: TemporaryDirectory) throws -> Data {
        let package = try PackageFixture.write(at: folder.file("pkg"), key: PackageFixture.key)
        return try ModelPackageArchive.pack(
            folder: folder.file("pkg"), files: ["manifest.json", "manifest.sig"] + package.manifest.files.map(\.path)
        )
    }

    @Test("pack then unpack gives a package that verifies with the same hash; packing is deterministic")
    func roundTrip() async throws {
        let folder = TemporaryDirectory("tar-round")
        let archive = try packed(folder)
        let again = try ModelPackageArchive.pack(folder: folder.file("pkg"), files: ["manifest.sig", "manifest.json", "model.onnx", "MODEL_CARD.md", "reference/case-findings.npy", "reference/case-heatmap.npy", "reference/case-input.npy", "reference/case-source.npy"])
        #expect(archive == again)
        try archive.write(to: URL(fileURLWithPath: folder.file("p.tar")))
        try FileManager.default.createDirectory(atPath: folder.file("out"), withIntermediateDirectories: true)
        try ModelPackageArchive.unpack(folder.file("p.tar"), into: folder.file("out"))
        let original = try verifier.verify(directory: folder.file("pkg"))
        let unpacked = try verifier.verify(directory: folder.file("out"))
        #expect(original.packageSHA256 == unpacked.packageSHA256)
        // GNU tar reads what we write.
        let listing = try await ProcessRunner.run("/usr/bin/tar", ["-tf", folder.file("p.tar")])
        #expect(listing.status == 0)
        #expect(listing.stdout.contains("reference/case-input.npy"))
    }

    @Test("an archive made by tar with a top folder is accepted")
    func systemTar() async throws {
        let folder = TemporaryDirectory("tar-system")
        try PackageFixture.write(at: folder.file("demo-pkg"), key: PackageFixture.key)
        let made = try await ProcessRunner.run("/usr/bin/tar", ["--format=ustar", "-cf", folder.file("s.tar"), "-C", folder.path, "demo-pkg"])
        #expect(made.status == 0, "\(made.stderr)")
        try FileManager.default.createDirectory(atPath: folder.file("out"), withIntermediateDirectories: true)
        try ModelPackageArchive.unpack(folder.file("s.tar"), into: folder.file("out"))
        #expect(throws: Never.self) { try verifier.verify(directory: folder.file("out")) }
    }

    /// A one-entry ustar archive with a hand-made header (name, type), correct checksum.
    func archive(entry name: String, type: UInt8 = UInt8(ascii: "0"), contents: Data = Data("x".utf8), linkTarget: String = "") -> Data {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, _ at: Int) { for (i, b) in text.utf8.enumerated() { block[at + i] = b } }
        put(String(name.prefix(100)), 0)
        put("0000644", 100); put("0000000", 108); put("0000000", 116)
        let size = String(contents.count, radix: 8)
        put(String(repeating: "0", count: 11 - size.count) + size, 124)
        put("00000000000", 136)
        block[156] = type
        put(linkTarget, 157)
        put("ustar", 257); put("00", 263)
        for i in 148..<156 { block[i] = 0x20 }
        let sum = String(block.reduce(0) { $0 + Int($1) }, radix: 8)
        put(String(repeating: "0", count: 6 - sum.count) + sum, 148)
        block[154] = 0
        var data = Data(block) + contents
        data += Data(repeating: 0, count: (512 - contents.count % 512) % 512)
        return data + Data(repeating: 0, count: 1024)
    }

    @Test("hostile entries are refused and nothing lands outside the target", arguments: [
        ("../escape.txt", UInt8(ascii: "0"), "safe relative path"),
        ("/etc/fluorobox-test", UInt8(ascii: "0"), "safe relative path"),
        ("reference/../../x", UInt8(ascii: "0"), "safe relative path"),
        ("link", UInt8(ascii: "2"), "link"),
        ("hard", UInt8(ascii: "1"), "link"),
        ("device", UInt8(ascii: "3"), "not a regular file"),
        ("pax", UInt8(ascii: "x"), "extended headers"),
        (".hidden", UInt8(ascii: "0"), "safe relative path"),
    ])
    func hostile(name: String, type: UInt8, mentioning: String) throws {
        let folder = TemporaryDirectory("tar-hostile")
        try archive(entry: name, type: type, linkTarget: type == UInt8(ascii: "2") ? "/etc/passwd" : "").write(to: URL(fileURLWithPath: folder.file("h.tar")))
        try FileManager.default.createDirectory(atPath: folder.file("out/inner"), withIntermediateDirectories: true)
        do {
            try ModelPackageArchive.unpack(folder.file("h.tar"), into: folder.file("out/inner"))
            Issue.record("\(name) was unpacked")
        } catch {
            #expect(error.code == .unsafeArchive, "\(error)")
            #expect(error.detail.contains(mentioning), "\(error.detail)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.file("out/inner")).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: folder.file("out/escape.txt")))
    }

    @Test("a damaged or truncated archive is refused")
    func damaged() throws {
        let folder = TemporaryDirectory("tar-damaged")
        var good = archive(entry: "manifest.json")
        try FileManager.default.createDirectory(atPath: folder.file("out"), withIntermediateDirectories: true)
        good[0] = UInt8(ascii: "n")  // checksum no longer matches
        try good.write(to: URL(fileURLWithPath: folder.file("bad.tar")))
        #expect { try ModelPackageArchive.unpack(folder.file("bad.tar"), into: folder.file("out")) } throws: { ($0 as? ModelPackageError)?.detail.contains("checksum") == true }
        let whole = archive(entry: "manifest.json", contents: Data(repeating: 1, count: 2000))
        try whole.prefix(900).write(to: URL(fileURLWithPath: folder.file("short.tar")))
        #expect { try ModelPackageArchive.unpack(folder.file("short.tar"), into: folder.file("out")) } throws: { ($0 as? ModelPackageError)?.code == .unsafeArchive }
        try Data("definitely not a tar file".utf8).write(to: URL(fileURLWithPath: folder.file("text.tar")))
        #expect { try ModelPackageArchive.unpack(folder.file("text.tar"), into: folder.file("out")) } throws: { ($0 as? ModelPackageError)?.code == .unsafeArchive }
    }
}
