import FluoroboxTestSupport
import Foundation
import Inference

/// Builds small signed model packages for tests: a manifest like the demo's, stand-in model
/// bytes (verification never parses the ONNX), and reference tensors as real .npy files.
struct PackageFixture {
    static let labels = ["nodule", "consolidation", "effusion"]

    /// A .npy (format 1.0) of float32 or uint16 values, little-endian, C order.
    static func npy(descr: String, shape: [Int], fill: UInt8 = 0) -> Data {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        let size = descr == "<u2" ? 2 : 4
        data.append(Data(repeating: fill, count: shape.reduce(1, *) * size))
        return data
    }

    static func sha256(_ data: Data) -> String {
        SHA256Check.hex([UInt8](data))
    }

    /// Writes an unsigned package folder; `model` varies the model bytes (and so the package).
    @discardableResult
    static func writeUnsigned(
        at folder: String, id: String = "test-model", version: String = "1.0.0", task: String = "chest-findings",
        model: String = "model A", size: Int = 8, edit: (inout ModelPackageManifest) -> Void = { _ in }
    ) throws -> ModelPackageManifest {
        let fileManager = FileManager.default
        try fileManager.createDirectory(atPath: folder + "/reference", withIntermediateDirectories: true)
        var contents: [String: Data] = [
            "model.onnx": Data(("stand-in ONNX bytes: " + model).utf8),
            "reference/case-input.npy": npy(descr: "<f4", shape: [1, 1, size, size], fill: 1),
            "reference/case-findings.npy": npy(descr: "<f4", shape: [1, labels.count]),
            "reference/case-heatmap.npy": npy(descr: "<f4", shape: [1, labels.count, 2, 2]),
            "reference/case-source.npy": npy(descr: "<u2", shape: [size * 2, size * 2]),
        ]
        contents["MODEL_CARD.md"] = Data("# test model \(model)\n".utf8)
        var files: [ModelPackageManifest.PinnedFile] = []
        for (path, data) in contents.sorted(by: { $0.key < $1.key }) {
            try data.write(to: URL(fileURLWithPath: folder + "/" + path))
            files.append(.init(path: path, sha256: sha256(data), size: Int64(data.count)))
        }
        var manifest = ModelPackageManifest(
            id: id, name: "Test model", version: version, task: task, modalities: ["DX"], bodyPart: "CHEST",
            vendor: "tests", registrationNumber: nil, licence: "test only",
            intendedUse: "A test package, not for clinical use.",
            model: .init(file: "model.onnx", opset: 17, quantisation: "int8 QDQ"),
            input: .init(
                name: "image", shape: [1, 1, size, size],
                resize: .init(width: size, height: size), windowing: .init(method: "percentile", low: 0.5, high: 99.5),
                normalisation: .init(mean: 0.5, std: 0.25)
            ),
            outputs: .init(
                findings: .init(name: "findings", labels: labels.map { .init(id: $0, display: $0.capitalized, threshold: 0.5) }),
                heatMap: .init(name: "heatmap", shape: [1, labels.count, 2, 2])
            ),
            reference: .init(tolerance: 0.02, cases: [
                .init(
                    name: "case", input: "reference/case-input.npy",
                    outputs: ["findings": "reference/case-findings.npy", "heatmap": "reference/case-heatmap.npy"],
                    source: "reference/case-source.npy"
                ),
            ]),
            files: files,
            // Signed by the tests' own key, as the platform signs its packages.
            use: .clinical
        )
        edit(&manifest)
        try manifestBytes(manifest).write(to: URL(fileURLWithPath: folder + "/manifest.json"))
        return manifest
    }

    static func manifestBytes(_ manifest: ModelPackageManifest) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(manifest)
    }

    /// Writes and signs a package folder.
    @discardableResult
    static func write(
        at folder: String, key: ModelSigningKey, id: String = "test-model", version: String = "1.0.0",
        task: String = "chest-findings", model: String = "model A", edit: (inout ModelPackageManifest) -> Void = { _ in }
    ) throws -> VerifiedModelPackage {
        try writeUnsigned(at: folder, id: id, version: version, task: task, model: model, edit: edit)
        return try ModelPackageSigner.sign(directory: folder, with: key)
    }

    /// Signs whatever manifest.json holds now, byte for byte (even when its pins are wrong).
    static func signRaw(_ folder: String, key: ModelSigningKey) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json"))
        let signature = try ModelPackageSignature.sign(manifest: bytes, with: key)
        try signature.encoded().write(to: URL(fileURLWithPath: folder + "/manifest.sig"))
    }

    /// A test key that is the same in every process of a test run (the CLI tests trust it
    /// through the environment).
    static let key: ModelSigningKey = try! ModelSigningKey(seed: Data(repeating: 7, count: 32))
    static let otherKey: ModelSigningKey = try! ModelSigningKey(seed: Data(repeating: 9, count: 32))
}
