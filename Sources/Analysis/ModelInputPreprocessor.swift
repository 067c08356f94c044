import Imaging
import Inference

/// A decoded raster (8–16 bit, MONOCHROME2: higher is brighter) → the model input its package's
/// manifest describes: area resize, percentile window, normalisation, float32 1×1×H×W. The same
/// steps as tools/model/preprocess.py, which made the package's reference inputs.
public struct ModelInputPreprocessor: Sendable {
    public let spec: ModelPackageManifest.InputSpec

    public init(spec: ModelPackageManifest.InputSpec) throws(AnalysisError) {
        guard spec.resize.method == "area", spec.windowing.method == "percentile", spec.layout == "NCHW",
              spec.shape.count == 4, spec.shape[0] == 1, spec.shape[1] == 1 else {
            throw AnalysisError.unsupportedModel("input spec \(spec.resize.method) resize, \(spec.windowing.method) window, \(spec.layout) \(spec.shape): only area resize, percentile window and 1×1×H×W NCHW are implemented")
        }
        // The numbers every tensor is computed from, checked once here so that no image can meet
        // an empty target, a percentile index outside the sorted values or a division by zero.
        let (low, high, std) = (spec.windowing.low, spec.windowing.high, spec.normalisation.std)
        guard (1...4096).contains(spec.resize.width), (1...4096).contains(spec.resize.height),
              low.isFinite, high.isFinite, 0 <= low, low <= high, high <= 100,
              spec.normalisation.mean.isFinite, std.isFinite, std != 0 else {
            throw AnalysisError.unsupportedModel("input spec resize \(spec.resize.width)x\(spec.resize.height), window \(low)–\(high) %, normalisation mean \(spec.normalisation.mean) std \(std): sizes 1–4096, percentiles 0–100 and a finite non-zero std are required")
        }
        self.spec = spec
    }

    public func tensor(from image: GrayscaleImage) -> Tensor {
        let values = image.samples.map(Double.init)
        return tensor(from: values, width: image.width, height: image.height)
    }

    public func tensor(from values: [Double], width: Int, height: Int) -> Tensor {
        let (targetHeight, targetWidth) = (spec.resize.height, spec.resize.width)
        let resized = (width == targetWidth && height == targetHeight)
            ? values
            : Self.resizeArea(values, width: width, height: height, targetWidth: targetWidth, targetHeight: targetHeight)
        let ordered = resized.sorted()
        let n = ordered.count
        let low = ordered[Int((spec.windowing.low / 100 * Double(n - 1)).rounded(.down))]
        let high = ordered[Int((spec.windowing.high / 100 * Double(n - 1)).rounded(.down))]
        let mean = spec.normalisation.mean, std = spec.normalisation.std
        let output = resized.map { value -> Float in
            let windowed = high > low ? min(max((value - low) / (high - low), 0), 1) : 0
            return Float((windowed - mean) / std)
        }
        return Tensor(shape: [1, 1, targetHeight, targetWidth], values: output)
    }

    /// Row i of the result averages the source span [i·s/t, (i+1)·s/t), partial pixels weighted.
    static func areaWeights(source: Int, target: Int) -> [[(index: Int, weight: Double)]] {
        let scale = Double(source) / Double(target)
        return (0..<target).map { i in
            let start = Double(i) * scale, end = Double(i + 1) * scale
            var row: [(Int, Double)] = []
            for j in Int(start.rounded(.down))..<min(Int(end.rounded(.up)), source) {
                let overlap = min(end, Double(j + 1)) - max(start, Double(j))
                if overlap > 0 { row.append((j, overlap / scale)) }
            }
            return row
        }
    }

    static func resizeArea(_ values: [Double], width: Int, height: Int, targetWidth: Int, targetHeight: Int) -> [Double] {
        let rows = areaWeights(source: height, target: targetHeight)
        let columns = areaWeights(source: width, target: targetWidth)
        var partial = [Double](repeating: 0, count: targetHeight * width)
        for (i, row) in rows.enumerated() {
            for (j, weight) in row {
                let source = j * width, target = i * width
                for x in 0..<width { partial[target + x] += weight * values[source + x] }
            }
        }
        var output = [Double](repeating: 0, count: targetHeight * targetWidth)
        for i in 0..<targetHeight {
            for (k, column) in columns.enumerated() {
                var sum = 0.0
                for (j, weight) in column { sum += weight * partial[i * width + j] }
                output[i * targetWidth + k] = sum
            }
        }
        return output
    }
}
