/// One problem the quality check found, with its retake advice.
public enum QualityProblem: String, Sendable, Hashable, Codable, CaseIterable {
    case blank
    case saturated
    case tooDark
    case tooLight
    case lowContrast
    case invertedPolarity
    case cutOff

    public var summary: (en: String, ru: String) {
        switch self {
        case .blank: ("The image is blank or uniform.", "Снимок пустой или однородный.")
        case .saturated: ("Large areas are saturated (pure white or black).", "Большие участки насыщены (чисто белые или чёрные).")
        case .tooDark: ("The image is too dark (over-exposed or wrong window).", "Снимок слишком тёмный (передержка или неверное окно).")
        case .tooLight: ("The image is too light (under-exposed).", "Снимок слишком светлый (недодержка).")
        case .lowContrast: ("The contrast is too low to read.", "Контраст слишком низкий для чтения.")
        case .invertedPolarity: ("The polarity looks inverted (lungs brighter than the mediastinum).", "Полярность, похоже, инвертирована (лёгкие светлее средостения).")
        case .cutOff: ("Part of the image is cut off (a flat band along an edge).", "Часть снимка обрезана (однородная полоса у края).")
        }
    }

    public var advice: (en: String, ru: String) {
        switch self {
        case .blank: ("Check that the detector was exposed and the right image was sent; retake.", "Проверьте, что детектор экспонирован и отправлен нужный снимок; переснимите.")
        case .saturated: ("Lower the dose or check the detector calibration; retake.", "Уменьшите дозу или проверьте калибровку детектора; переснимите.")
        case .tooDark: ("Lower the exposure (mAs/kV) and retake.", "Уменьшите экспозицию (мАс/кВ) и переснимите.")
        case .tooLight: ("Raise the exposure (mAs/kV) and retake.", "Увеличьте экспозицию (мАс/кВ) и переснимите.")
        case .lowContrast: ("Check kV, the grid and positioning; retake.", "Проверьте кВ, растр и укладку; переснимите.")
        case .invertedPolarity: ("Check the unit's output (MONOCHROME1/2) before sending again.", "Проверьте выход аппарата (MONOCHROME1/2) перед повторной отправкой.")
        case .cutOff: ("Centre the patient on the detector, check collimation and the transfer; retake.", "Отцентрируйте пациента на детекторе, проверьте коллимацию и передачу; переснимите.")
        }
    }
}

/// The quality check's result: acceptable, or the problems with advice. A blank image is not
/// given to the model.
public struct QualityVerdict: Sendable, Hashable {
    public struct Measurements: Sendable, Hashable, Codable {
        public var mean, standardDeviation, percentile1, percentile5, percentile95, percentile99: Double
        public var saturatedBright, saturatedDark: Double
        /// Lung fields minus mediastinum (negative on a normal chest film); flat edge band width.
        public var lungsMinusMediastinum, flatEdgeFraction: Double
    }

    public var problems: [QualityProblem]
    public var measurements: Measurements

    public var isAcceptable: Bool { problems.isEmpty }
    /// Whether the model can still read the image (everything but a blank one).
    public var isReadable: Bool { !problems.contains(.blank) }
}
