"""Reads a Structured Report the box wrote with highdicom and prints what it found, as JSON.

    .venv/bin/python tools/python/validate_sr.py REPORT.dcm

highdicom parses the document as a Comprehensive SR and its content as a TID 1500 Measurement
Report (refusing one that is not), then reads the observer context, every TID 1501 measurement
group (finding, tracking identifiers, algorithm, measurements and the image their SCOORD
selects from) and the qualitative evaluations. Any error exits non-zero with the reason; the
Swift test (AnalysisStructuredReportTests) compares the JSON with the report it wrote.
"""
import json
import sys

import highdicom as hd
import pydicom
from pydicom.sr.codedict import codes


def code(concept):
    return [concept.value, concept.scheme_designator, concept.meaning]


def main(path):
    dataset = pydicom.dcmread(path)
    document = hd.sr.srread(path)
    if not isinstance(document, hd.sr.ComprehensiveSR):
        raise SystemExit(f"not a Comprehensive SR: {type(document).__name__}")
    report = document.content
    if not isinstance(report, hd.sr.MeasurementReport):
        raise SystemExit(f"content is not a TID 1500 Measurement Report: {type(report).__name__}")
    observers = report.get_observer_contexts(observer_type=codes.DCM.Device)
    device = [o.observer_identifying_attributes for o in observers]
    groups = []
    for group in report.get_image_measurement_groups():
        items = group[0].ContentSequence
        def texts_named(name):
            return [item.value for item in items if item.ValueType == "TEXT" and item.name == name]
        algorithm = texts_named(codes.DCM.AlgorithmName) + texts_named(codes.DCM.AlgorithmVersion) + [texts_named(codes.DCM.AlgorithmParameters)]
        measurements = []
        for measurement in group.get_measurements():
            coordinates = [
                {
                    "graphicType": c.graphic_type.value,
                    "points": c.value.tolist(),
                    "image": [r.ReferencedSOPClassUID for r in c.ContentSequence[0].ReferencedSOPSequence]
                    + [r.ReferencedSOPInstanceUID for r in c.ContentSequence[0].ReferencedSOPSequence],
                }
                for c in measurement.referenced_coordinates
            ]
            measurements.append({
                "name": code(measurement.name),
                "value": float(measurement.value),
                "unit": code(measurement.unit),
                "coordinates": coordinates,
            })
        evaluations = [
            [code(item.name), code(item.value)] for item in items
            if item.ValueType == "CODE" and item.name != codes.DCM.Finding
        ]
        texts = [item.value for item in items if item.ValueType == "TEXT" and item.relationship_type.value == "CONTAINS"]
        groups.append({
            "trackingIdentifier": group.tracking_identifier,
            "trackingUID": str(group.tracking_uid),
            "finding": code(group.finding_type) if group.finding_type else None,
            "algorithm": algorithm,
            "measurements": measurements,
            "evaluations": evaluations,
            "texts": texts,
        })
    evidence = [
        [study.StudyInstanceUID, series.SeriesInstanceUID, sop.ReferencedSOPInstanceUID]
        for study in dataset.CurrentRequestedProcedureEvidenceSequence
        for series in study.ReferencedSeriesSequence
        for sop in series.ReferencedSOPSequence
    ]
    print(json.dumps({
        "sopClassUID": document.SOPClassUID,
        "title": code(report[0].name),
        "template": report[0].ContentTemplateSequence[0].TemplateIdentifier,
        "procedures": [code(item.value) for item in report[0].ContentSequence if item.name == codes.DCM.ProcedureReported],
        "deviceObservers": [[d.uid, d.name] for d in device],
        "groups": groups,
        "evidence": evidence,
        "seriesDescription": dataset.SeriesDescription,
    }, indent=2))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: validate_sr.py REPORT.dcm")
    main(sys.argv[1])
