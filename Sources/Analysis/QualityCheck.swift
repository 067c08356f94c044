import Imaging

/// Image-quality checks without machine learning, run before the model on the display raster
/// (MONOCHROME2, higher is brighter): blank, saturated, too dark, too light, low contrast,
/// inverted polarity (chest only), cut off. Each problem carries a short retake advice in
/// English and Russian. Thresholds are on a 0–255 scale of a 256×256 thumbnail.
public struct QualityCheck: Sendable {
    public struct Thresholds: Sendable, Hashable {
        /// Below this standard deviation (or this 1–99 % spread) the image is blank.
        public var blankStandardDeviation = 3.0
        public var blankSpread = 10.0
        /// Above this fraction of pixels at the top (≥ 253) or bottom (≤ 2) the detector saturated.
        public var saturatedFraction = 0.35
        /// Mean grey below which the image is too dark, above which too light.
        public var tooDarkMean = 35.0
        public var tooLightMean = 220.0
        /// Below this 5–95 % spread the image has too little contrast to read.
        public var lowContrastSpread = 45.0
        /// Lung fields brighter than the mediastinum by this much: polarity inverted.
        public var invertedMargin = 12.0
        /// A flat band along one edge this wide (fraction of the side) means the image is cut off.
        public var cutOffFraction = 0.2
    }

    public var thresholds = Thresholds()
    public var isChest: Bool

    public init(isChest: Bool = true) {
        self.isChest = isChest
    }

    public func evaluate(_ image: GrayscaleImage) -> QualityVerdict {
        let size = 256
        let scale = 255.0 / Double(image.maximumValue)
        let thumbnail = ModelInputPreprocessor.resizeArea(
            image.samples.map { Double($0) * scale }, width: image.width, height: image.height, targetWidth: size, targetHeight: size
        )
        let ordered = thumbnail.sorted()
        func percentile(_ p: Double) -> Double { ordered[Int(p / 100 * Double(ordered.count - 1))] }
        let mean = thumbnail.reduce(0, +) / Double(thumbnail.count)
        let std = (thumbnail.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(thumbnail.count)).squareRoot()
        let bright = Double(thumbnail.filter { $0 >= 253 }.count) / Double(thumbnail.count)
        let dark = Double(thumbnail.filter { $0 <= 2 }.count) / Double(thumbnail.count)
        var problems: [QualityProblem] = []
        let polarity = Self.lungsMinusMediastinum(thumbnail, size: size)
        let flatEdge = Self.flatEdgeFraction(thumbnail, size: size)
        let measurements = QualityVerdict.Measurements(
            mean: mean, standardDeviation: std, percentile1: percentile(1), percentile5: percentile(5),
            percentile95: percentile(95), percentile99: percentile(99), saturatedBright: bright, saturatedDark: dark,
            lungsMinusMediastinum: polarity, flatEdgeFraction: flatEdge
        )
        if std < thresholds.blankStandardDeviation || percentile(99) - percentile(1) < thresholds.blankSpread {
            return QualityVerdict(problems: [.blank], measurements: measurements)
        }
        if bright > thresholds.saturatedFraction || dark > thresholds.saturatedFraction { problems.append(.saturated) }
        if mean < thresholds.tooDarkMean { problems.append(.tooDark) }
        if mean > thresholds.tooLightMean { problems.append(.tooLight) }
        if percentile(95) - percentile(5) < thresholds.lowContrastSpread { problems.append(.lowContrast) }
        if isChest, polarity > thresholds.invertedMargin { problems.append(.invertedPolarity) }
        if flatEdge >= thresholds.cutOffFraction { problems.append(.cutOff) }
        return QualityVerdict(problems: problems, measurements: measurements)
    }

    /// Mean of the lung fields minus the mean of the mediastinum, rows 25–75 %: negative on a
    /// normal chest film (the mediastinum and spine are brighter than the lungs).
    static func lungsMinusMediastinum(_ values: [Double], size: Int) -> Double {
        func mean(columns: ClosedRange<Double>) -> Double {
            var sum = 0.0, count = 0
            for y in (size / 4)..<(3 * size / 4) {
                for x in Int(columns.lowerBound * Double(size))...Int(columns.upperBound * Double(size)) {
                    sum += values[y * size + x]
                    count += 1
                }
            }
            return sum / Double(count)
        }
        let lungs = (mean(columns: 0.2...0.33) + mean(columns: 0.67...0.8)) / 2
        return lungs - mean(columns: 0.45...0.55)
    }

    /// The widest band of flat lines (standard deviation below 1.5, one level) along any edge,
    /// as a fraction of the side: an image cut off by the detector, a crop or a lost transfer.
    static func flatEdgeFraction(_ values: [Double], size: Int) -> Double {
        func line(_ index: Int, horizontal: Bool) -> [Double] {
            horizontal ? Array(values[(index * size)..<((index + 1) * size)]) : (0..<size).map { values[$0 * size + index] }
        }
        func isFlat(_ line: [Double]) -> Bool {
            let mean = line.reduce(0, +) / Double(line.count)
            return line.allSatisfy { abs($0 - mean) < 1.5 }
        }
        var widest = 0
        for (horizontal, order) in [(true, Array(0..<size)), (true, Array((0..<size).reversed())), (false, Array(0..<size)), (false, Array((0..<size).reversed()))] {
            var count = 0
            for index in order {
                guard isFlat(line(index, horizontal: horizontal)) else { break }
                count += 1
            }
            widest = max(widest, count)
        }
        return Double(widest) / Double(size)
    }
}
