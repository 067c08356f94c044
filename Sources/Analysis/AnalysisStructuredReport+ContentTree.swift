import DICOM
import Foundation

extension AnalysisStructuredReport {
    typealias Item = SRContentItem

    /// The TID 1500 tree: language, device observer and procedure; the image library with the
    /// source image; one TID 1501 measurement group per finding (probability, threshold,
    /// flag, heat-map peak, the algorithm, and a demonstration model's notice); the quality
    /// verdict and the second reader's notice as qualitative evaluations.
    static func contentTree(
        report: AnalysisReport, image: Item.Value, device: (name: String, uid: String, model: String),
        trackingUID: (String) -> String
    ) -> Item {
        var root: [Item] = [
            Item(.hasConceptModifier, Codes.languageOfContent, .code(Codes.englishUS)),
            Item(.hasObservationContext, Codes.observerType, .code(Codes.device)),
            Item(.hasObservationContext, Codes.deviceObserverUID, .uidReference(device.uid)),
            Item(.hasObservationContext, Codes.deviceObserverName, .text(device.name)),
            Item(.hasObservationContext, Codes.deviceObserverManufacturer, .text("Fluorobox")),
            Item(.hasObservationContext, Codes.deviceObserverModelName, .text(device.model)),
            Item(.hasConceptModifier, Codes.procedureReported, .code(Codes.radiograph)),
            Item(.contains, Codes.imageLibrary, .container(template: nil), children: [
                Item(.contains, Codes.imageLibraryGroup, .container(template: nil), children: [Item(.contains, nil, image)]),
            ]),
        ]
        let groups = report.findings.map { measurementGroup($0, report: report, image: image, trackingUID: trackingUID($0.id)) }
        if !groups.isEmpty {
            root.append(Item(.contains, Codes.imagingMeasurements, .container(template: nil), children: groups))
        }
        root.append(Item(.contains, Codes.qualitativeEvaluations, .container(template: nil), children: qualitativeEvaluations(report)))
        return Item(nil, Codes.imagingMeasurementReport, .container(template: "1500"), children: root)
    }

    static func measurementGroup(_ finding: AnalysisReport.Finding, report: AnalysisReport, image: Item.Value, trackingUID: String) -> Item {
        var probability = Item(.contains, Codes.certaintyOfFinding, .number(percent(finding.probability), units: Codes.percent))
        if let peak = finding.peak, peak.count == 2, report.source.width > 0, report.source.height > 0 {
            // SCOORD image coordinates run from 0 at the top left corner of the first pixel to
            // Columns/Rows at the bottom right of the last (PS3.3 C.18.6.1.1): the peak's
            // fractions of the width and height scale straight to them.
            let point = [Float(peak[0] * Double(report.source.width)), Float(peak[1] * Double(report.source.height))]
            probability.children = [
                Item(.inferredFrom, Codes.center, .spatialCoordinates(graphicType: "POINT", points: point), children: [
                    Item(.selectedFrom, nil, image),
                ]),
            ]
        }
        var items: [Item] = [
            Item(.hasObservationContext, Codes.trackingIdentifier, .text("\(finding.display) (\(finding.id))")),
            Item(.hasObservationContext, Codes.trackingUniqueIdentifier, .uidReference(trackingUID)),
            Item(.contains, Codes.finding, .code(Codes.finding(label: finding.id, display: finding.display))),
            Item(.hasConceptModifier, Codes.algorithmName, .text(report.model.id)),
            Item(.hasConceptModifier, Codes.algorithmVersion, .text(report.model.version)),
            Item(.hasConceptModifier, Codes.algorithmParameters, .text("model package SHA-256 \(report.model.packageSHA256)")),
            Item(.hasConceptModifier, Codes.algorithmParameters, .text("review threshold \(percent(finding.threshold)) %")),
            probability,
            Item(.contains, Codes.flaggedForReview, .code(finding.flaggedForReview ? Codes.yes : Codes.no)),
        ]
        if report.isDemonstration {
            items.append(Item(.contains, Codes.comment, .text(AnalysisReport.demonstrationNotice)))
        }
        return Item(.contains, Codes.measurementGroup, .container(template: "1501"), children: items)
    }

    static func qualitativeEvaluations(_ report: AnalysisReport) -> [Item] {
        var items: [Item] = []
        if report.isDemonstration {
            items.append(Item(.contains, Codes.comment, .text(AnalysisReport.demonstrationNotice)))
        }
        let acceptable = report.quality.verdict == .acceptable
        items.append(Item(.contains, Codes.qualityAssessment, .code(acceptable ? Codes.usable : Codes.unusable)))
        for problem in report.quality.problems {
            items.append(Item(.contains, Codes.comment, .text("Retake advised: \(problem.message) \(problem.advice)")))
        }
        items.append(Item(.contains, Codes.comment, .text(report.summary)))
        items.append(Item(.contains, Codes.comment, .text(AnalysisReport.notice)))
        return items
    }

    /// A fraction as a percentage for DS (at most 16 characters): two decimals, no exponent.
    public static func percent(_ fraction: Double) -> String {
        let value = min(max(fraction, 0), 1) * 100
        var text = String(format: "%.2f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
