"""Rebuilds a presentation state the box wrote with highdicom's own constructors, over the image
it references, and prints what it found and where the two differ, as JSON.

    .venv/bin/python tools/python/validate_gsps.py STATE.dcm IMAGE.dcm

highdicom checks what it is given as it builds a Grayscale Softcopy Presentation State: the
references against the image, every graphic and text object (type, points, units, bounding box,
coordinates inside the image), the layers, the VOI and presentation LUTs. Any error exits
non-zero with the reason. Its own Displayed Area Selection and references are then compared
with the box's; the Swift test (AnalysisPresentationStateTests) reads the JSON.
"""
import json
import sys

import highdicom as hd
import numpy as np
import pydicom

GSPS = "1.2.840.10008.5.1.4.1.1.11.1"


def text_object(item):
    box = None
    if "BoundingBoxTopLeftHandCorner" in item:
        box = tuple(float(v) for v in item.BoundingBoxTopLeftHandCorner) + tuple(float(v) for v in item.BoundingBoxBottomRightHandCorner)
    anchor = tuple(float(v) for v in item.AnchorPoint) if "AnchorPoint" in item else None
    units = item.get("BoundingBoxAnnotationUnits") or item.get("AnchorPointAnnotationUnits")
    return hd.pr.TextObject(
        text_value=item.UnformattedTextValue, units=units, bounding_box=box, anchor_point=anchor,
        text_justification=item.get("BoundingBoxTextHorizontalJustification", "LEFT"),
        anchor_point_visible=item.get("AnchorPointVisibility", "Y") == "Y",
    )


def graphic_object(item):
    points = np.array([float(v) for v in item.GraphicData]).reshape(-1, 2)
    return hd.pr.GraphicObject(
        graphic_type=item.GraphicType, graphic_data=points, units=item.GraphicAnnotationUnits,
        is_filled=item.get("GraphicFilled", "N") == "Y",
    )


def main(state_path, image_path):
    state = pydicom.dcmread(state_path)
    image = pydicom.dcmread(image_path)
    # Type 2 attributes the image lacks (test images often do) are empty to highdicom, which
    # copies them from the image; they are the image's gaps, not the presentation state's.
    for keyword in ["PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime",
                    "AccessionNumber", "ReferringPhysicianName", "StudyID"]:
        if keyword not in image:
            setattr(image, keyword, "")
    if state.SOPClassUID != GSPS:
        raise SystemExit(f"not a Grayscale Softcopy Presentation State: {state.SOPClassUID}")
    layers = {
        item.GraphicLayer: hd.pr.GraphicLayer(
            layer_name=item.GraphicLayer, order=int(item.GraphicLayerOrder), description=item.get("GraphicLayerDescription")
        )
        for item in state.GraphicLayerSequence
    }
    annotations, texts, graphics = [], [], []
    for item in state.GraphicAnnotationSequence:
        text_objects = [text_object(t) for t in item.get("TextObjectSequence", [])]
        graphic_objects = [graphic_object(g) for g in item.get("GraphicObjectSequence", [])]
        texts += [t.UnformattedTextValue for t in text_objects]
        graphics += [[g.GraphicType, [float(v) for v in g.GraphicData]] for g in graphic_objects]
        annotations.append(hd.pr.GraphicAnnotation(
            referenced_images=[image], graphic_layer=layers[item.GraphicLayer],
            graphic_objects=graphic_objects or None, text_objects=text_objects or None,
        ))
    voi = [
        hd.pr.SoftcopyVOILUTTransformation(
            window_center=float(item.WindowCenter), window_width=float(item.WindowWidth), referenced_images=[image]
        )
        for item in state.get("SoftcopyVOILUTSequence", [])
    ]
    rebuilt = hd.pr.GrayscaleSoftcopyPresentationState(
        referenced_images=[image], series_instance_uid=state.SeriesInstanceUID, series_number=int(state.SeriesNumber),
        sop_instance_uid=state.SOPInstanceUID, instance_number=int(state.InstanceNumber), manufacturer=state.Manufacturer,
        manufacturer_model_name="Fluorobox", software_versions=state.SoftwareVersions, device_serial_number="validation",
        content_label=state.ContentLabel, content_description=state.get("ContentDescription"),
        graphic_annotations=annotations, graphic_layers=list(layers.values()), voi_lut_transformations=voi or None,
        presentation_lut_transformation=hd.PresentationLUTTransformation(presentation_lut_shape=state.PresentationLUTShape),
    )

    def references(dataset):
        return [
            [series.SeriesInstanceUID, item.ReferencedSOPClassUID, item.ReferencedSOPInstanceUID]
            for series in dataset.ReferencedSeriesSequence for item in series.ReferencedImageSequence
        ]

    def displayed_area(dataset):
        area = dataset.DisplayedAreaSelectionSequence[0]
        return [list(area.DisplayedAreaTopLeftHandCorner), list(area.DisplayedAreaBottomRightHandCorner), area.PresentationSizeMode]

    differences = []
    for name, ours, theirs in [
        ("references", references(state), references(rebuilt)),
        ("displayedArea", displayed_area(state), displayed_area(rebuilt)),
        ("studyInstanceUID", state.StudyInstanceUID, rebuilt.StudyInstanceUID),
        ("modality", state.Modality, rebuilt.Modality),
    ]:
        if ours != theirs:
            differences.append({"attribute": name, "box": ours, "highdicom": theirs})
    print(json.dumps({
        "references": references(state), "layers": list(layers), "texts": texts, "graphics": graphics,
        "differences": differences,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
