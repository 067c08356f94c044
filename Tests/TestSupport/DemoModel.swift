import Foundation
import Imaging
import Inference
import Testing

/// The signed demo model package shipped in models/, and its reference rasters.
public enum DemoModel {
    public static let path = TestData.packageRoot + "/models/chest-phantom-demo"
    public static let task = "chest-findings"

    /// Reads a little-endian uint16 .npy (the package's reference source raster) as a raster.
    public static func raster(_ name: String) throws -> GrayscaleImage {
        let data = try Data(contentsOf: URL(fileURLWithPath: path + "/reference/" + name))
        let header = try NumpyArrayHeader(parsing: data)
        #expect(header.descr == "<u2" && header.shape.count == 2)
        let (height, width) = (header.shape[0], header.shape[1])
        let samples: [UInt16] = data.withUnsafeBytes { raw in
            (0..<(width * height)).map { UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: header.dataOffset + $0 * 2, as: UInt16.self)) }
        }
        return GrayscaleImage(width: width, height: height, bitsStored: 16, samples: samples)
    }

    /// Installs and activates the demo package in a packages folder.
    public static func install(into folder: String) async throws {
        try await ModelPackageStore.withStore(folder: folder, settings: ModelPackageSettings(trustedKeys: [.demo]), logger: quietLogger) { store in
            guard case .installed(let installed) = try await store.install(from: path) else {
                throw TestFailure("the demo package did not install")
            }
            _ = try await store.activate(installed.reference)
        }
    }
}

extension DemoModel {
    /// The version of ``clinicalCopy(in:key:)``.
    public static let clinicalVersion = "2.0.0-clinical-test"

    /// A copy of the demo package whose manifest states `clinical` use, signed with `key`: the
    /// same model, as a clinical package would run it (for the views that must tell them apart).
    public static func clinicalCopy(in folder: String, key: ModelSigningKey) throws -> VerifiedModelPackage {
        try copy(in: folder, key: key, manifest: ["use": ModelUse.clinical.rawValue, "version": clinicalVersion])
    }

    /// A copy of the demo package with `changes` made to its manifest (e.g. another `task` and
    /// `id`: a second model for the same images), signed with `key`.
    /// `thresholds` replaces the flag thresholds of the findings it names (e.g. two packages of
    /// one task that flag the same image differently).
    public static func copy(
        in folder: String, key: ModelSigningKey, manifest changes: [String: String], thresholds: [String: Double] = [:]
    ) throws -> VerifiedModelPackage {
        let manager = FileManager.default
        if manager.fileExists(atPath: folder) { try manager.removeItem(atPath: folder) }
        try manager.copyItem(atPath: path, toPath: folder)
        let manifestPath = folder + "/manifest.json"
        var manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestPath))) as? [String: Any] ?? [:]
        for (key, value) in changes { manifest[key] = value }
        if !thresholds.isEmpty, var outputs = manifest["outputs"] as? [String: Any], var findings = outputs["findings"] as? [String: Any],
           let labels = findings["labels"] as? [[String: Any]] {
            findings["labels"] = labels.map { label -> [String: Any] in
                var label = label
                if let id = label["id"] as? String, let threshold = thresholds[id] { label["threshold"] = threshold }
                return label
            }
            outputs["findings"] = findings
            manifest["outputs"] = outputs
        }
        try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: manifestPath))
        return try ModelPackageSigner.sign(directory: folder, with: key)
    }

    /// Installs and activates ``clinicalCopy(in:key:)`` in a packages folder that trusts `key`.
    public static func installClinical(into packages: String, key: ModelSigningKey, scratch: String) async throws {
        _ = try await installAndActivate(try clinicalCopy(in: scratch, key: key), into: packages, trusting: [key.publicKey])
    }

    /// Installs and activates a package in a packages folder that trusts `keys`; returns the
    /// installed copy (its own folder in the store).
    public static func installAndActivate(_ package: VerifiedModelPackage, into packages: String, trusting keys: [ModelPublicKey]) async throws -> VerifiedModelPackage {
        try await ModelPackageStore.withStore(folder: packages, settings: ModelPackageSettings(trustedKeys: keys), logger: quietLogger) { store in
            let installed: VerifiedModelPackage
            switch try await store.install(from: package.directory) {
            case .installed(let package), .alreadyInstalled(let package): installed = package
            }
            _ = try await store.activate(installed.reference)
            return installed
        }
    }
}

/// A setup step that did not go as a test expects.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
