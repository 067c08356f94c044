import Foundation

/// A package that passed every check of ``ModelPackageVerifier``; the only way the runtime
/// gets a model's bytes.
public struct VerifiedModelPackage: Sendable {
    public let manifest: ModelPackageManifest
    /// The folder it was verified in.
    public let directory: String
    /// ``ModelPublicKey/keyID`` of the trusted key that signed it.
    public let keyID: String
    /// SHA-256 of manifest.json: names this exact package (the manifest pins every other file).
    public let packageSHA256: String
    /// model.onnx as read and hashed during verification.
    public let modelBytes: Data
    public let modelSHA256: String

    public var reference: PackageReference { manifest.packageReference }

    /// Absolute path of a file of the package, e.g. a reference tensor.
    public func path(of file: String) -> String { directory + "/" + file }
}
