import Foundation
import POSIXSupport

/// Signs a package folder: checks that the manifest is valid and that every pin matches its
/// file, then writes `manifest.sig` (Ed25519 over the manifest's exact bytes) and verifies the
/// result as a box would. The packager writes the pins (tools/model/build.py does); signing
/// never edits the manifest, so what was reviewed is what gets signed.
public enum ModelPackageSigner {
    @discardableResult
    public static func sign(directory: String, with key: ModelSigningKey) throws(ModelPackageError) -> VerifiedModelPackage {
        let manifestPath = directory + "/" + ModelPackageManifest.manifestFileName
        let manifestBytes: Data
        do {
            manifestBytes = try PackageFiles.read(manifestPath, limit: ModelPackageVerifier.maximumManifestBytes)
        } catch {
            throw ModelPackageError(.notAPackage, "\(manifestPath): \(error.reason)", underlying: error)
        }
        let manifest: ModelPackageManifest
        do {
            manifest = try JSONDecoder().decode(ModelPackageManifest.self, from: manifestBytes)
        } catch {
            throw ModelPackageError(.malformedManifest, "\(error)", underlying: error)
        }
        try manifest.validate()
        for file in manifest.files {
            let actual: (hex: String, size: Int64)
            do {
                actual = try SHA256Hex.file(at: directory + "/" + file.path, regularOnly: true)
            } catch {
                throw ModelPackageError(.missingFile, "\(file.path): \(error.reason)", underlying: error)
            }
            guard actual.hex == file.sha256, actual.size == file.size else {
                throw ModelPackageError(
                    .fileMismatch,
                    "\(file.path) has sha256 \(actual.hex) (\(actual.size) bytes) but the manifest pins \(file.sha256) (\(file.size) bytes); fix the manifest before signing"
                )
            }
        }
        let signature = try ModelPackageSignature.sign(manifest: manifestBytes, with: key)
        do {
            try PackageFiles.replace(
                directory + "/" + ModelPackageManifest.signatureFileName, with: signature.encoded(),
                written: "model.sign.written", renamed: "model.sign.renamed"
            )
        } catch {
            throw ModelPackageError.fileSystem(error, while: "writing \(ModelPackageManifest.signatureFileName)")
        }
        return try ModelPackageVerifier(trustedKeys: [key.publicKey]).verify(directory: directory)
    }
}
