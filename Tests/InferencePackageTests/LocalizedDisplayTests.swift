import FluoroboxTestSupport
import Foundation
import Inference
import Testing

/// A finding's names in other languages (`localizedDisplay`) are signed with the manifest and
/// checked like any of its fields: a name that cannot stand on one legend line is refused with
/// the reason, before anything is installed.
@Suite("finding names in other languages in the manifest")
struct LocalizedDisplayTests {
    let verifier = ModelPackageVerifier(trustedKeys: [PackageFixture.key.publicKey])

    @Test("Russian names verify and read back; one changed after signing breaks the signature")
    func signedAndReadBack() throws {
        let folder = TemporaryDirectory("pkg-localized")
        try PackageFixture.write(at: folder.path, key: PackageFixture.key) { $0.outputs.findings.labels[0].localizedDisplay = ["ru": "Очаг"] }
        let package = try verifier.verify(directory: folder.path)
        #expect(package.manifest.outputs.findings.labels.map(\.localizedDisplay) == [["ru": "Очаг"], nil, nil])

        let path = folder.file("manifest.json")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("Очаг"))
        try text.replacingOccurrences(of: "Очаг", with: "Норма").write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: ModelPackageError.self) { try verifier.verify(directory: folder.path) }
        #expect(error?.code == .badSignature, "\(String(describing: error))")
    }

    @Test("a name that is empty, too long, holds a control or format character, or a language that is not an ISO 639 code is refused at verify with the reason", arguments: [
        ("ru", "Оч\u{7}аг", "localizedDisplay of nodule: the name in ru holds the control character U+0007"),
        ("ru", "Очаг\nсправа", "localizedDisplay of nodule: the name in ru holds the control character U+000A"),
        ("ru", "\u{202E}гачО", "localizedDisplay of nodule: the name in ru holds the control character U+202E"),
        ("ru", " ", "localizedDisplay of nodule: the name in ru is empty"),
        ("ru", String(repeating: "я", count: 65), "localizedDisplay of nodule: the name in ru is 65 characters long; at most 64"),
        ("RU", "Очаг", #"localizedDisplay of nodule: the language "RU" must be a lower-case ISO 639 code such as "ru""#),
        ("russian", "Очаг", #"localizedDisplay of nodule: the language "russian" must be a lower-case ISO 639 code such as "ru""#),
    ])
    func refused(language: String, name: String, reason: String) throws {
        let folder = TemporaryDirectory("pkg-localized-bad")
        try PackageFixture.writeUnsigned(at: folder.path) { $0.outputs.findings.labels[0].localizedDisplay = [language: name] }
        try PackageFixture.signRaw(folder.path, key: PackageFixture.key)
        let error = #expect(throws: ModelPackageError.self) { try verifier.verify(directory: folder.path) }
        #expect(error?.code == .malformedManifest)
        #expect(error?.detail == reason)
    }

    @Test("64 characters, and a name in a language the box does not speak, are kept")
    func longestAndOtherLanguages() throws {
        let folder = TemporaryDirectory("pkg-localized-long")
        let longest = String(repeating: "я", count: 64)
        try PackageFixture.write(at: folder.path, key: PackageFixture.key) { $0.outputs.findings.labels[2].localizedDisplay = ["ru": longest, "kk": "Плевралық сұйықтық"] }
        let package = try verifier.verify(directory: folder.path)
        #expect(package.manifest.outputs.findings.labels[2].localizedDisplay == ["ru": longest, "kk": "Плевралық сұйықтық"])
    }
}
