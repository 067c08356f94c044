/// Bounds on the numbers of the grayscale pipeline, checked when they are read so that no later
/// arithmetic or conversion meets an infinity, a NaN or a value past Int.
///
/// Stored values are at most 16 bits. A Rescale Slope or Intercept beyond ±1e6 has no use on a
/// radiograph (CT uses 1 and -1024, PET activity scales stay far below), and keeps every modality
/// value within ±(65,536 · 1e6 + 1e6) < 1e11, exact in a Double and in an Int. A window centre
/// or width beyond 1e12 covers no modality value that can occur, so it is a damaged file.
enum GrayscaleLimits {
    static let rescale = 1e6
    static let window = 1e12

    static func check(_ value: Double, _ tag: Tag, within bound: Double) throws(PixelDataError) {
        guard value.isFinite, abs(value) <= bound else {
            throw PixelDataError(
                .badImageAttribute,
                detail: "\(tag) \(DataDictionary.keyword(for: tag) ?? "") is \(value); the box reads values within ±\(bound)"
            )
        }
    }
}

/// The Modality LUT stage (PS3.3 C.11.1): stored values to modality values.
public enum ModalityTransform: Sendable, Hashable {
    case identity
    case rescale(slope: Double, intercept: Double)
    case lookupTable(LookupTable)

    /// A Modality LUT Sequence wins over Rescale Slope/Intercept, as in pydicom (the standard
    /// allows only one; files with both exist).
    init(dataSet: DataSet, signed: Bool) throws(PixelDataError) {
        if let item = dataSet.sequence(Tag(0x0028, 0x3000))?.first {
            self = .lookupTable(try LookupTable(item: item, signedInput: signed, name: "Modality LUT"))
            return
        }
        let slope: Double?, intercept: Double?
        do {
            slope = try dataSet.numbers(.rescaleSlope)?.first
            intercept = try dataSet.numbers(.rescaleIntercept)?.first
        } catch {
            throw PixelDataError(attribute: error)
        }
        if let slope { try GrayscaleLimits.check(slope, .rescaleSlope, within: GrayscaleLimits.rescale) }
        if let intercept { try GrayscaleLimits.check(intercept, .rescaleIntercept, within: GrayscaleLimits.rescale) }
        if slope == nil && intercept == nil {
            self = .identity
        } else if slope == 0 {
            throw PixelDataError(.badImageAttribute, detail: "Rescale Slope is 0")
        } else if (slope ?? 1) == 1 && (intercept ?? 0) == 0 {
            self = .identity
        } else {
            self = .rescale(slope: slope ?? 1, intercept: intercept ?? 0)
        }
    }

    @inline(__always)
    public func apply(_ value: Int32) -> Double {
        switch self {
        case .identity: Double(value)
        case .rescale(let slope, let intercept): Double(value) * slope + intercept
        case .lookupTable(let table): Double(table.apply(Int(value)))
        }
    }
}

/// The VOI LUT stage (PS3.3 C.11.2): modality values to display values.
public enum VOITransform: Sendable, Hashable {
    public enum Function: String, Sendable, Hashable {
        case linear = "LINEAR", linearExact = "LINEAR_EXACT", sigmoid = "SIGMOID"
    }

    case window(center: Double, width: Double, function: Function)
    case lookupTable(LookupTable)
    /// No VOI in the data set: the range of the image's own values is shown.
    case imageRange

    /// The first VOI LUT Sequence item if any (as pydicom prefers), else the first window
    /// centre/width pair, else the image's range. A window of width below 1 is unusable and skipped.
    init(dataSet: DataSet, signed: Bool) throws(PixelDataError) {
        if let item = dataSet.sequence(Tag(0x0028, 0x3010))?.first {
            self = .lookupTable(try LookupTable(item: item, signedInput: signed, name: "VOI LUT"))
            return
        }
        let centers: [Double], widths: [Double]
        do {
            centers = try dataSet.numbers(.windowCenter) ?? []
            widths = try dataSet.numbers(.windowWidth) ?? []
        } catch {
            throw PixelDataError(attribute: error)
        }
        let function = dataSet.string(Tag(0x0028, 0x1056)).flatMap { Function(rawValue: $0.uppercased()) } ?? .linear
        if let center = centers.first { try GrayscaleLimits.check(center, .windowCenter, within: GrayscaleLimits.window) }
        if let width = widths.first { try GrayscaleLimits.check(width, .windowWidth, within: GrayscaleLimits.window) }
        if let center = centers.first, let width = widths.first, width >= (function == .linear ? 1 : Double.ulpOfOne) {
            self = .window(center: center, width: width, function: function)
        } else {
            self = .imageRange
        }
    }
}
