import Crypto
import Foundation
import POSIXSupport

/// Checks a model package folder before anything uses it, in this order, stopping at the first
/// failure (each has its own ``ModelPackageError/Code``):
///
/// 1. `manifest.json` is there (``ModelPackageError/Code/notAPackage``);
/// 2. `manifest.sig` is there (``ModelPackageError/Code/unsigned``) and is one Ed25519
///    signature (``ModelPackageError/Code/malformedSignature``);
/// 3. its key is one of the trusted keys (``ModelPackageError/Code/untrustedKey``);
/// 4. the signature verifies over the manifest's exact bytes (``ModelPackageError/Code/badSignature``);
/// 5. the manifest decodes and makes sense (``ModelPackageError/Code/malformedManifest``);
/// 6. every pinned file is a regular file with the pinned size and SHA-256
///    (``ModelPackageError/Code/missingFile``, ``ModelPackageError/Code/fileMismatch``);
/// 7. the reference tensors fit the model's input and outputs (``ModelPackageError/Code/badReference``).
///
/// The model's bytes are read once, hashed, and handed over in the result, so what the runtime
/// parses is exactly what was verified.
public struct ModelPackageVerifier: Sendable {
    public let trustedKeys: [ModelPublicKey]

    public init(trustedKeys: [ModelPublicKey]) {
        self.trustedKeys = trustedKeys
    }

    /// Largest manifest or signature file read.
    static let maximumManifestBytes: Int64 = 1 << 20

    public func verify(directory: String) throws(ModelPackageError) -> VerifiedModelPackage {
        guard PackageFiles.isDirectory(directory) else {
            throw ModelPackageError(.notAPackage, "\(directory) is not a folder")
        }
        let manifestPath = directory + "/" + ModelPackageManifest.manifestFileName
        guard PackageFiles.exists(manifestPath) else {
            throw ModelPackageError(.notAPackage, "\(directory) has no \(ModelPackageManifest.manifestFileName)")
        }
        let manifestBytes = try read(manifestPath, limit: Self.maximumManifestBytes)

        let signaturePath = directory + "/" + ModelPackageManifest.signatureFileName
        guard PackageFiles.exists(signaturePath) else {
            throw ModelPackageError(.unsigned, "\(directory) has no \(ModelPackageManifest.signatureFileName)")
        }
        let signature = try ModelPackageSignature.parse(try read(signaturePath, limit: 64 << 10))

        guard let key = trustedKeys.first(where: { $0.keyID == signature.keyId }) else {
            let trusted = trustedKeys.isEmpty ? "no key is trusted (inference.trustedKeys is empty)" : "trusted: " + trustedKeys.map(\.keyID).joined(separator: ", ")
            throw ModelPackageError(.untrustedKey, "signed by key \(signature.keyId); \(trusted)")
        }
        guard let signatureBytes = signature.signatureBytes, key.isValidSignature(signatureBytes, for: manifestBytes) else {
            throw ModelPackageError(
                .badSignature,
                "\(ModelPackageManifest.manifestFileName) was changed after key \(key.keyID) signed it (or the signature was not made by that key)"
            )
        }

        let manifest: ModelPackageManifest
        do {
            manifest = try JSONDecoder().decode(ModelPackageManifest.self, from: manifestBytes)
        } catch {
            throw ModelPackageError(.malformedManifest, "\(describe(decoding: error))", underlying: error)
        }
        try manifest.validate()

        var modelBytes = Data()
        for file in manifest.files {
            let path = directory + "/" + file.path
            let status: FileStatus
            do {
                status = try Posix.fileStatus(path, followLinks: false)
            } catch {
                throw ModelPackageError(.missingFile, "\(file.path): \(error.reason)", underlying: error)
            }
            guard status.isRegularFile else {
                throw ModelPackageError(.fileMismatch, "\(file.path) is not a regular file (links and folders are refused)")
            }
            let actualHash: String, actualSize: Int64
            if file.path == manifest.model.file {
                modelBytes = try read(path, limit: PackageFiles.maximumFileBytes)
                actualHash = SHA256Hex.string(SHA256.hash(data: modelBytes))
                actualSize = Int64(modelBytes.count)
            } else {
                do {
                    (actualHash, actualSize) = try SHA256Hex.file(at: path, regularOnly: true)
                } catch {
                    throw ModelPackageError.fileSystem(error, while: "reading \(file.path)")
                }
            }
            guard actualHash == file.sha256, actualSize == file.size else {
                throw ModelPackageError(
                    .fileMismatch,
                    "\(file.path): manifest pins sha256 \(file.sha256) (\(file.size) bytes), the file has \(actualHash) (\(actualSize) bytes)"
                )
            }
        }
        try checkReferences(manifest, directory: directory)

        return VerifiedModelPackage(
            manifest: manifest,
            directory: directory,
            keyID: key.keyID,
            packageSHA256: SHA256Hex.string(SHA256.hash(data: manifestBytes)),
            modelBytes: modelBytes,
            modelSHA256: manifest.files.first { $0.path == manifest.model.file }!.sha256
        )
    }

    private func read(_ path: String, limit: Int64) throws(ModelPackageError) -> Data {
        do {
            return try PackageFiles.read(path, limit: limit)
        } catch {
            throw ModelPackageError.fileSystem(error, while: "reading \(path)")
        }
    }

    /// Reference tensors are float32 .npy files of the input's and outputs' shapes; the
    /// optional source raster is a 2-D uint16 .npy.
    private func checkReferences(_ manifest: ModelPackageManifest, directory: String) throws(ModelPackageError) {
        let labels = manifest.outputs.findings.labels.count
        let expected: [String: [Int]] = [
            manifest.outputs.findings.name: [1, labels],
            manifest.outputs.heatMap.name: manifest.outputs.heatMap.shape,
        ]
        for item in manifest.reference.cases {
            try checkTensor(directory, item.input, descr: ["<f4"], shape: manifest.input.shape, role: "input of \(item.name)")
            for (output, path) in item.outputs.sorted(by: { $0.key < $1.key }) {
                try checkTensor(directory, path, descr: ["<f4"], shape: expected[output]!, role: "\(output) of \(item.name)")
            }
            if let source = item.source {
                try checkTensor(directory, source, descr: ["<u2"], shape: nil, role: "source raster of \(item.name)")
            }
        }
    }

    private func checkTensor(_ directory: String, _ path: String, descr: [String], shape: [Int]?, role: String) throws(ModelPackageError) {
        let full = directory + "/" + path
        let bytes = try read(full, limit: PackageFiles.maximumFileBytes)
        let header: NumpyArrayHeader
        do {
            header = try NumpyArrayHeader(parsing: bytes)
        } catch {
            throw ModelPackageError(.badReference, "\(path) (\(role)): \(error)")
        }
        guard descr.contains(header.descr), !header.fortranOrder else {
            throw ModelPackageError(.badReference, "\(path) (\(role)) holds \(header.descr)\(header.fortranOrder ? " in Fortran order" : ""), expected \(descr.joined(separator: " or ")) in C order")
        }
        if let shape {
            guard header.shape == shape else {
                throw ModelPackageError(.badReference, "\(path) (\(role)) has shape \(header.shape), the manifest says \(shape)")
            }
        } else {
            guard header.shape.count == 2, header.shape.allSatisfy({ $0 > 0 }) else {
                throw ModelPackageError(.badReference, "\(path) (\(role)) has shape \(header.shape), expected rows × columns")
            }
        }
        guard let size = header.elementSize, bytes.count == header.dataOffset + header.elementCount * size else {
            throw ModelPackageError(.badReference, "\(path) (\(role)) is \(bytes.count) bytes, its header describes \(header.dataOffset) + \(header.elementCount) elements")
        }
    }

    private func describe(decoding error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing \(path(context.codingPath + [key]))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not JSON: \(context.debugDescription)" : "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined().drop(while: { $0 == "." }).description
    }
}
