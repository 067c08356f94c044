import Crypto
import DICOM
import Foundation

/// The analysis as a Grayscale Softcopy Presentation State (PS3.3 A.33.1) over the original
/// image: a viewer shows the radiograph itself, at full fidelity, with the flagged regions drawn
/// over it as graphic annotations it can hide, instead of the burned-in colour overlay.
///
/// On the graphic layer ``graphicLayer``: for each flagged finding a circle around its heat-map
/// peak and a text with its name (in the box's language) and probability; then one text with
/// the "second reader, not a diagnosis" notice, and a demonstration model's notice. The report
/// carries only the peak, no region, so the circle's radius is ``regionRadiusFraction`` of the
/// image's shorter side: the demo model's 16×16 heat map has cells of 6.25%, so the circle takes
/// in the peak cell and its neighbours.
///
/// An analysis with nothing flagged gets one too, saying "no findings flagged": in a viewer the
/// image then reads as analysed and clear, not as never analysed; the notice is there as always.
///
/// UIDs derive from the source bytes, the model package and the time the analysis was queued,
/// like the Structured Report's, so a re-run after a power cut writes the same object.
public struct AnalysisPresentationState: Sendable {
    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.11.1"
    public static let seriesDescription = "Fluorobox AI marks: flagged for review, not a diagnosis"
    /// A demonstration model's presentation state, in a PACS's series list (LO: at most 64 characters).
    public static let demonstrationSeriesDescription = "DEMONSTRATION model marks: not for clinical use"
    public static let graphicLayer = "FLUOROBOX_AI"
    /// The circle around a peak: its radius as a share of the image's shorter side.
    public static let regionRadiusFraction = 0.08
    static let seriesNumber = "9003"

    /// What the presentation state needs of the image it is applied to.
    public struct SourceImage: Sendable, Hashable {
        public var sopClassUID: String
        public var seriesInstanceUID: String
        public var columns: Int
        public var rows: Int
        /// MONOCHROME1: the presentation LUT inverts, as the image itself would be shown.
        public var isMonochrome1: Bool
        /// The image's first window (Window Center and Width as written), kept as the softcopy
        /// VOI LUT; without one the viewer's identity VOI shows the whole stored range.
        public var window: Window?

        public struct Window: Sendable, Hashable {
            public var center: String
            public var width: String

            public init(center: String, width: String) {
                self.center = center
                self.width = width
            }
        }

        public init(sopClassUID: String, seriesInstanceUID: String, columns: Int, rows: Int, isMonochrome1: Bool = false, window: Window? = nil) {
            self.sopClassUID = sopClassUID
            self.seriesInstanceUID = seriesInstanceUID
            self.columns = columns
            self.rows = rows
            self.isMonochrome1 = isMonochrome1
            self.window = window
        }

        /// What a presentation state needs of an image's data set, or nil when it has no grayscale pixels.
        public init?(_ dataSet: DataSet, seriesInstanceUID: String, sopClassUID: String) {
            guard let columns = try? dataSet.integer(.columns), let rows = try? dataSet.integer(.rows), columns > 0, rows > 0 else { return nil }
            let photometric = dataSet.string(.photometricInterpretation) ?? "MONOCHROME2"
            guard photometric.hasPrefix("MONOCHROME") else { return nil }
            let window: Window? = if let center = dataSet.strings(.windowCenter)?.first, let width = dataSet.strings(.windowWidth)?.first,
                                     let widthValue = Double(width), widthValue >= 1, Double(center) != nil {
                Window(center: center, width: width)
            } else {
                nil
            }
            self.init(
                sopClassUID: sopClassUID, seriesInstanceUID: seriesInstanceUID, columns: Int(columns), rows: Int(rows),
                isMonochrome1: photometric == "MONOCHROME1", window: window
            )
        }
    }

    public let sopInstanceUID: String
    public let seriesInstanceUID: String
    public let part10: [UInt8]

    /// `language` is the box's; `contentDate` is when the analysis was queued, the same on every run.
    public init(
        subject: OverlaySecondaryCapture.Subject, source: SourceImage, report: AnalysisReport, language: LegendLanguage,
        softwareVersion: String, contentDate: Date
    ) throws(AnalysisError) {
        guard source.columns > 0, source.rows > 0 else {
            throw .output("a presentation state needs the image's size; it has \(source.columns)x\(source.rows)")
        }
        let seconds = Int64(contentDate.timeIntervalSince1970.rounded(.down))
        func uid(_ purpose: String) -> String {
            let digest = SHA256.hash(data: Array("\(purpose)|\(report.source.sha256)|\(report.model.packageSHA256)|\(seconds)".utf8))
            return DICOMUID.fromUUIDBytes(Array(digest), version: 8)
        }
        sopInstanceUID = uid("presentation-state-instance")
        seriesInstanceUID = uid("presentation-state-series")

        var writer = Part10Writer()
        let description = report.isDemonstration ? Self.demonstrationSeriesDescription : Self.seriesDescription
        subject.write(
            into: &writer, sopClassUID: Self.sopClassUID, sopInstanceUID: sopInstanceUID, modality: "PR",
            seriesInstanceUID: seriesInstanceUID, seriesNumber: Self.seriesNumber, seriesDescription: description,
            softwareVersions: "Fluorobox \(softwareVersion); model \(report.model.id) \(report.model.version)"
        )
        // Presentation State Identification (PS3.3 C.11.10).
        writer.set(.contentLabel, .CS, Self.graphicLayer)
        writer.set(.contentDescription, .LO, description)
        let (date, time) = AnalysisStructuredReport.dateAndTime(contentDate)
        writer.set(.presentationCreationDate, .DA, date)
        writer.set(.presentationCreationTime, .TM, time)
        writer.set(.contentCreatorName, .PN, "")
        // Presentation State Relationship: the one image it applies to.
        var image = Part10Writer()
        image.set(.referencedSOPClassUID, .UI, source.sopClassUID)
        image.set(.referencedSOPInstanceUID, .UI, subject.sourceSOPInstanceUID)
        var series = Part10Writer()
        series.set(.seriesInstanceUID, .UI, source.seriesInstanceUID)
        series.set(.referencedImageSequence, items: [image])
        writer.set(.referencedSeriesSequence, items: [series])
        // Displayed Area: the whole image, scaled to fit, square pixels as stored.
        var area = Part10Writer()
        area.set(.displayedAreaTopLeftHandCorner, .SL, bytes: Self.int32s([1, 1]))
        area.set(.displayedAreaBottomRightHandCorner, .SL, bytes: Self.int32s([source.columns, source.rows]))
        area.set(.presentationSizeMode, .CS, "SCALE TO FIT")
        area.set(.presentationPixelAspectRatio, .IS, "1\\1")
        writer.set(.displayedAreaSelectionSequence, items: [area])
        // Graphic Layer and Graphic Annotation.
        var layer = Part10Writer()
        layer.set(.graphicLayer, .CS, Self.graphicLayer)
        layer.set(.graphicLayerOrder, .IS, "1")
        layer.set(.graphicLayerRecommendedDisplayGrayscaleValue, uint16: 0xFFFF)
        layer.set(.graphicLayerDescription, .LO, "Regions the AI model flagged for review; not a diagnosis")
        writer.set(.graphicLayerSequence, items: [layer])
        let marks = Self.marks(report: report, source: source, language: language)
        var annotation = Part10Writer()
        annotation.set(.graphicLayer, .CS, Self.graphicLayer)
        annotation.set(.referencedImageSequence, items: [image])
        if !marks.graphics.isEmpty { annotation.set(.graphicObjectSequence, items: marks.graphics) }
        annotation.set(.textObjectSequence, items: marks.texts)
        writer.set(.graphicAnnotationSequence, items: [annotation])
        // Softcopy VOI LUT: the image's own window, when it has one.
        if let window = source.window {
            var voi = Part10Writer()
            voi.set(.referencedImageSequence, items: [image])
            voi.set(.windowCenter, .DS, window.center)
            voi.set(.windowWidth, .DS, window.width)
            writer.set(.softcopyVOILUTSequence, items: [voi])
        }
        // Presentation LUT: identity, inverted for a MONOCHROME1 image (PS3.3 C.11.6) so it
        // shows as its modality meant it.
        writer.set(.presentationLUTShape, .CS, source.isMonochrome1 ? "INVERSE" : "IDENTITY")
        do {
            part10 = try writer.part10Bytes()
        } catch {
            throw .output("cannot write the presentation state: \(error)")
        }
    }

    /// A finding's mark in image pixel coordinates (PS3.3 C.10.5.1.2: the top left pixel's top
    /// left corner is 0,0): the centre and radius of its circle.
    public struct Region: Sendable, Hashable {
        public var centerX: Float
        public var centerY: Float
        public var radius: Float
    }

    /// The circle around `finding`'s peak, kept inside the image; nil when the report has no peak.
    public static func region(of finding: AnalysisReport.Finding, columns: Int, rows: Int) -> Region? {
        guard let peak = finding.peak, peak.count == 2, peak.allSatisfy({ $0.isFinite }) else { return nil }
        let width = Double(columns), height = Double(rows)
        let radius = max(2, (regionRadiusFraction * min(width, height)).rounded())
        // The whole circle inside the image, so a viewer need not clip it.
        let x = min(max(peak[0] * width, radius), width - radius), y = min(max(peak[1] * height, radius), height - radius)
        return Region(centerX: Float(x), centerY: Float(y), radius: Float(radius))
    }

    /// The circles and texts of the annotation.
    static func marks(report: AnalysisReport, source: SourceImage, language: LegendLanguage) -> (graphics: [Part10Writer], texts: [Part10Writer]) {
        let words = OverlayRenderer.legendText(language)
        let width = Float(source.columns), height = Float(source.rows)
        // Text boxes as tall as a twentieth of the image, the notices stacked at its top left.
        let line = max(8, (height / 20).rounded())
        var graphics: [Part10Writer] = [], texts: [Part10Writer] = []
        var notices: [String] = report.isDemonstration ? words.demonstration : []
        notices.append(words.heading)
        let flagged = report.flagged
        if flagged.isEmpty { notices.append(Self.nothingFlagged(language)) }
        func label(_ finding: AnalysisReport.Finding) -> String {
            let percent = Int((finding.probability * 100).rounded())
            return "\(finding.display(in: language.rawValue)) \(percent)% \(words.flagged)\(report.isDemonstration ? " " + words.demonstrationMark : "")"
        }
        // A flagged finding without a peak has no circle; its name goes with the notices.
        notices += flagged.filter { region(of: $0, columns: source.columns, rows: source.rows) == nil }.map(label)
        for (index, notice) in notices.enumerated() {
            let top = min(Float(index) * line, height - line)
            texts.append(text(notice, box: (0, top, width, top + line), anchor: nil))
        }
        for finding in flagged {
            guard let region = region(of: finding, columns: source.columns, rows: source.rows) else { continue }
            var circle = Part10Writer()
            circle.set(.graphicAnnotationUnits, .CS, "PIXEL")
            circle.set(.graphicDimensions, uint16: 2)
            circle.set(.numberOfGraphicPoints, uint16: 2)
            circle.set(.graphicData, .FL, bytes: floats([region.centerX, region.centerY, region.centerX + region.radius, region.centerY]))
            circle.set(.graphicType, .CS, "CIRCLE")
            circle.set(.graphicFilled, .CS, "N")
            graphics.append(circle)
            // The name just below the circle, or above it near the bottom edge.
            let below = region.centerY + region.radius
            let top = below + line <= height ? below : max(0, region.centerY - region.radius - line)
            let left = max(0, min(region.centerX - region.radius, width - min(width, 8 * line)))
            texts.append(text(label(finding), box: (left, top, min(width, left + 8 * line), top + line), anchor: (region.centerX, region.centerY)))
        }
        return (graphics, texts)
    }

    /// "No findings flagged" in the box's language.
    static func nothingFlagged(_ language: LegendLanguage) -> String {
        switch language {
        case .en: "NO FINDINGS FLAGGED"
        case .ru: "НАХОДОК НЕ ОТМЕЧЕНО"
        }
    }

    static func text(_ value: String, box: (Float, Float, Float, Float), anchor: (Float, Float)?) -> Part10Writer {
        var text = Part10Writer()
        text.set(.boundingBoxAnnotationUnits, .CS, "PIXEL")
        text.set(.unformattedTextValue, .ST, value)
        text.set(.boundingBoxTopLeftHandCorner, .FL, bytes: floats([box.0, box.1]))
        text.set(.boundingBoxBottomRightHandCorner, .FL, bytes: floats([box.2, box.3]))
        text.set(.boundingBoxTextHorizontalJustification, .CS, "LEFT")
        if let anchor {
            text.set(.anchorPointAnnotationUnits, .CS, "PIXEL")
            text.set(.anchorPoint, .FL, bytes: floats([anchor.0, anchor.1]))
            text.set(.anchorPointVisibility, .CS, "N")
        }
        return text
    }

    static func floats(_ values: [Float]) -> [UInt8] {
        values.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * $0)) } }
    }

    static func int32s(_ values: [Int]) -> [UInt8] {
        values.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: Int32(clamping: value) >> (8 * $0)) } }
    }
}
