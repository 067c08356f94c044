import Foundation
import Logging

extension VerifiedModelPackage {
    /// Runs every reference case of the manifest on this runtime and compares each output with
    /// the expected one: same shape, and no value further off than the manifest's tolerance.
    /// A package that passes computes here what its author computed; returns the largest
    /// difference seen.
    public func checkReference(threads: Int, logger: Logger) throws(ModelPackageError) -> Double {
        let reference = manifest.reference
        guard !reference.cases.isEmpty else {
            throw ModelPackageError(.badReference, "the package has no reference cases to check")
        }
        let model: InferenceModel
        do {
            model = try InferenceModel(onnx: modelBytes, threads: threads, logger: logger)
        } catch {
            throw ModelPackageError(.badReference, "the runtime cannot load \(manifest.model.file): \(error)")
        }
        var worst = 0.0
        for item in reference.cases {
            let outputs: [String: Tensor]
            do {
                let input = try NumpyFile.readTensor(path(of: item.input))
                outputs = try model.run([manifest.input.name: input])
            } catch {
                throw ModelPackageError(.badReference, "case \(item.name): \(error)")
            }
            for (name, file) in item.outputs.sorted(by: { $0.key < $1.key }) {
                let expected: Tensor
                do {
                    expected = try NumpyFile.readTensor(path(of: file))
                } catch {
                    throw ModelPackageError(.badReference, "case \(item.name): \(error)")
                }
                guard let actual = outputs[name] else {
                    throw ModelPackageError(.badReference, "case \(item.name): the model gives no output \(name)")
                }
                guard actual.shape == expected.shape else {
                    throw ModelPackageError(.badReference, "case \(item.name): output \(name) has shape \(actual.shape), expected \(expected.shape)")
                }
                let difference = zip(actual.values, expected.values).map { abs(Double($0) - Double($1)) }.max() ?? 0
                worst = max(worst, difference)
                guard difference <= reference.tolerance else {
                    throw ModelPackageError(
                        .badReference,
                        "case \(item.name): output \(name) differs from the expected one by up to \(String(format: "%.4f", difference)) (tolerance \(reference.tolerance))"
                    )
                }
            }
        }
        return worst
    }
}
