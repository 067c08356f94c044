import FluoroboxTestSupport
import Foundation
import Inference
import Testing

/// Every check of the verifier, each failing on its own with its own code.
@Suite("model package verification")
struct VerificationTests {
    let verifier = ModelPackageVerifier(trustedKeys: [PackageFixture.key.publicKey])

    func expectRefusal(_ code: ModelPackageError.Code, _ folder: String, mentioning text: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try verifier.verify(directory: folder)
            Issue.record("the package verified but should have failed with \(code)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            #expect(error.isVerificationFailure, sourceLocation: sourceLocation)
            if let text { #expect(error.detail.contains(text), "\(error.detail)", sourceLocation: sourceLocation) }
        }
    }

    @Test("a good package verifies and hands over exactly the pinned model bytes")
    func good() throws {
        let folder = TemporaryDirectory("pkg-good")
        try PackageFixture.write(at: folder.path, key: PackageFixture.key, model: "good")
        let package = try verifier.verify(directory: folder.path)
        #expect(package.reference == PackageReference(id: "test-model", version: "1.0.0"))
        #expect(package.keyID == PackageFixture.key.publicKey.keyID)
        #expect(package.modelBytes == Data("stand-in ONNX bytes: good".utf8))
        #expect(package.modelSHA256 == SHA256Check.hex(Array("stand-in ONNX bytes: good".utf8)))
        let manifestBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: folder.file("manifest.json"))))
        #expect(package.packageSHA256 == SHA256Check.hex(manifestBytes))
    }

    @Test("a registered model's certificate number and date are signed with the manifest and read back")
    func registration() throws {
        let folder = TemporaryDirectory("pkg-registered")
        try PackageFixture.writeUnsigned(at: folder.path) { $0.registrationNumber = "РЗН 2025/00017"; $0.registrationDate = "2025-07-01" }
        try PackageFixture.signRaw(folder.path, key: PackageFixture.key)
        let package = try verifier.verify(directory: folder.path)
        #expect(package.manifest.registrationNumber == "РЗН 2025/00017" && package.manifest.registrationDate == "2025-07-01")
    }

    @Test("an unsigned package is refused")
    func unsigned() throws {
        let folder = TemporaryDirectory("pkg-unsigned")
        try PackageFixture.writeUnsigned(at: folder.path)
        expectRefusal(.unsigned, folder.path, mentioning: "manifest.sig")
    }

    @Test("a manifest changed after signing is refused, even by one byte of white space")
    func tamperedManifest() throws {
        let folder = TemporaryDirectory("pkg-tampered-manifest")
        try PackageFixture.write(at: folder.path, key: PackageFixture.key)
        var text = try String(contentsOfFile: folder.file("manifest.json"), encoding: .utf8)
        text = text.replacingOccurrences(of: "\"threshold\" : 0.5", with: "\"threshold\" : 0.05")
        try text.write(toFile: folder.file("manifest.json"), atomically: true, encoding: .utf8)
        expectRefusal(.badSignature, folder.path, mentioning: "changed after")

        let spaced = TemporaryDirectory("pkg-tampered-space")
        try PackageFixture.write(at: spaced.path, key: PackageFixture.key)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: spaced.file("manifest.json")))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(" ".utf8))
        try handle.close()
        expectRefusal(.badSignature, spaced.path)
    }

    @Test("a model changed after signing is refused, naming the file and both hashes")
    func tamperedModel() throws {
        let folder = TemporaryDirectory("pkg-tampered-model")
        let package = try PackageFixture.write(at: folder.path, key: PackageFixture.key)
        try Data("stand-in ONNX bytes: model B".utf8).write(to: URL(fileURLWithPath: folder.file("model.onnx")))
        expectRefusal(.fileMismatch, folder.path, mentioning: "model.onnx: manifest pins sha256 \(package.modelSHA256)")
        // A reference file too: every pinned file counts.
        let other = TemporaryDirectory("pkg-tampered-reference")
        try PackageFixture.write(at: other.path, key: PackageFixture.key)
        try PackageFixture.npy(descr: "<f4", shape: [1, 3], fill: 9).write(to: URL(fileURLWithPath: other.file("reference/case-findings.npy")))
        expectRefusal(.fileMismatch, other.path, mentioning: "reference/case-findings.npy")
    }

    @Test("a package signed by a key the box does not trust is refused, naming the key")
    func untrusted() throws {
        let folder = TemporaryDirectory("pkg-untrusted")
        try PackageFixture.write(at: folder.path, key: PackageFixture.otherKey)
        expectRefusal(.untrustedKey, folder.path, mentioning: PackageFixture.otherKey.publicKey.keyID)
        let nobody = ModelPackageVerifier(trustedKeys: [])
        #expect(throws: ModelPackageError.self) { try nobody.verify(directory: folder.path) }
        do { _ = try nobody.verify(directory: folder.path) } catch { #expect(error.detail.contains("no key is trusted")) }
    }

    @Test("a signature claiming a trusted key id but made by another key is refused")
    func forgedKeyID() throws {
        let folder = TemporaryDirectory("pkg-forged")
        try PackageFixture.writeUnsigned(at: folder.path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: folder.file("manifest.json")))
        var signature = try ModelPackageSignature.sign(manifest: bytes, with: PackageFixture.otherKey)
        signature.keyId = PackageFixture.key.publicKey.keyID
        try signature.encoded().write(to: URL(fileURLWithPath: folder.file("manifest.sig")))
        expectRefusal(.badSignature, folder.path)
    }

    @Test("a signed manifest whose pinned hash is wrong is refused")
    func wrongHash() throws {
        let folder = TemporaryDirectory("pkg-wrong-hash")
        try PackageFixture.writeUnsigned(at: folder.path) { manifest in
            let index = manifest.files.firstIndex { $0.path == "model.onnx" }!
            manifest.files[index].sha256 = String(repeating: "ab", count: 32)
        }
        // The signer refuses to sign wrong pins …
        #expect(throws: ModelPackageError.self) { try ModelPackageSigner.sign(directory: folder.path, with: PackageFixture.key) }
        // … and a manifest signed anyway still never loads.
        try PackageFixture.signRaw(folder.path, key: PackageFixture.key)
        expectRefusal(.fileMismatch, folder.path, mentioning: String(repeating: "ab", count: 32))
    }

    @Test("a wrong pinned size, a missing file and a linked file are refused")
    func sizesMissingAndLinks() throws {
        let sized = TemporaryDirectory("pkg-size")
        try PackageFixture.writeUnsigned(at: sized.path) { manifest in
            manifest.files[0].size += 1
        }
        try PackageFixture.signRaw(sized.path, key: PackageFixture.key)
        expectRefusal(.fileMismatch, sized.path)

        let missing = TemporaryDirectory("pkg-missing")
        try PackageFixture.write(at: missing.path, key: PackageFixture.key)
        try FileManager.default.removeItem(atPath: missing.file("reference/case-heatmap.npy"))
        expectRefusal(.missingFile, missing.path, mentioning: "reference/case-heatmap.npy")

        let linked = TemporaryDirectory("pkg-link")
        try PackageFixture.write(at: linked.path, key: PackageFixture.key)
        try FileManager.default.moveItem(atPath: linked.file("model.onnx"), toPath: linked.file("real.onnx"))
        try FileManager.default.createSymbolicLink(atPath: linked.file("model.onnx"), withDestinationPath: linked.file("real.onnx"))
        expectRefusal(.fileMismatch, linked.path, mentioning: "not a regular file")
    }

    @Test("a damaged signature file is refused as such")
    func malformedSignature() throws {
        let folder = TemporaryDirectory("pkg-bad-sig")
        try PackageFixture.write(at: folder.path, key: PackageFixture.key)
        try Data("not json".utf8).write(to: URL(fileURLWithPath: folder.file("manifest.sig")))
        expectRefusal(.malformedSignature, folder.path)
        try Data(#"{"algorithm":"rsa","keyId":"x","signature":"AAAA"}"#.utf8).write(to: URL(fileURLWithPath: folder.file("manifest.sig")))
        expectRefusal(.malformedSignature, folder.path, mentioning: "rsa")
    }

    static func invalidEdit(_ name: String) -> (edit: (inout ModelPackageManifest) -> Void, mentioning: String) {
        switch name {
        case "path escape": ({ $0.files[0].path = "../outside" }, "not a safe relative path")
        case "absolute path": ({ $0.files[0].path = "/etc/passwd" }, "not a safe relative path")
        case "unpinned model": ({ $0.model.file = "other.onnx" }, "not pinned")
        case "bad id": ({ $0.id = "Bad Id" }, "id")
        case "threshold": ({ $0.outputs.findings.labels[0].threshold = 1.5 }, "threshold")
        case "heat map shape": ({ $0.outputs.heatMap.shape = [1, 2, 2, 2] }, "heat map shape")
        case "empty intended use": ({ $0.intendedUse = "  " }, "intendedUse")
        case "format": ({ $0.formatVersion = 2 }, "formatVersion")
        case "input size": ({ $0.input.resize.width = 99 }, "does not match input shape")
        case "registration date": ({ $0.registrationNumber = "РЗН 2025/00017"; $0.registrationDate = "2025-02-30" }, "registrationDate")
        case "date without number": ({ $0.registrationNumber = nil; $0.registrationDate = "2025-02-03" }, "without registrationNumber")
        default: ({ _ in }, "")
        }
    }

    @Test("a signed but invalid manifest is refused with the reason", arguments: [
        "path escape", "absolute path", "unpinned model", "bad id", "threshold", "heat map shape", "empty intended use", "format", "input size",
        "registration date", "date without number",
    ])
    func invalidManifest(name: String) throws {
        let (edit, mentioning) = Self.invalidEdit(name)
        let folder = TemporaryDirectory("pkg-invalid")
        try PackageFixture.writeUnsigned(at: folder.path, edit: edit)
        try PackageFixture.signRaw(folder.path, key: PackageFixture.key)
        expectRefusal(.malformedManifest, folder.path, mentioning: mentioning)
    }

    @Test("a manifest missing a field is refused naming the field")
    func missingField() throws {
        let folder = TemporaryDirectory("pkg-missing-field")
        try PackageFixture.writeUnsigned(at: folder.path)
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.file("manifest.json")))) as! [String: Any]
        object["intendedUse"] = nil
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: folder.file("manifest.json")))
        try PackageFixture.signRaw(folder.path, key: PackageFixture.key)
        expectRefusal(.malformedManifest, folder.path, mentioning: "intendedUse")
    }

    @Test("reference tensors must fit the model's input and outputs")
    func badReference() throws {
        let folder = TemporaryDirectory("pkg-bad-ref")
        try PackageFixture.writeUnsigned(at: folder.path)
        // Replace a reference output by one of the wrong shape, and re-pin it honestly.
        let wrong = PackageFixture.npy(descr: "<f4", shape: [1, 4])
        try wrong.write(to: URL(fileURLWithPath: folder.file("reference/case-findings.npy")))
        var manifest = try JSONDecoder().decode(ModelPackageManifest.self, from: Data(contentsOf: URL(fileURLWithPath: folder.file("manifest.json"))))
        let index = manifest.files.firstIndex { $0.path == "reference/case-findings.npy" }!
        manifest.files[index] = .init(path: "reference/case-findings.npy", sha256: PackageFixture.sha256(wrong), size: Int64(wrong.count))
        try PackageFixture.manifestBytes(manifest).write(to: URL(fileURLWithPath: folder.file("manifest.json")))
        try PackageFixture.signRaw(folder.path, key: PackageFixture.key)
        expectRefusal(.badReference, folder.path, mentioning: "[1, 4]")
    }

    @Test("a folder without a manifest is not a package")
    func notAPackage() throws {
        let folder = TemporaryDirectory("pkg-empty")
        expectRefusal(.notAPackage, folder.path)
        expectRefusal(.notAPackage, folder.file("absent"))
    }
}
