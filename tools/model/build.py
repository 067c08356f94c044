"""Builds the demo model package end to end (except signing, which `fluorobox model sign` does).

    phantoms → train (JAX, CPU) → ONNX (onnx.helper) → int8 QDQ (onnxruntime quantizer)
    → held-out evaluation (onnxruntime) → reference cases → package folder + model card

Usage: python tools/model/build.py [--out models/chest-phantom-demo] [--work tools/model/work]
Trained weights are cached in the work folder; --retrain trains again. Run it with `nice`.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import shutil
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import onnx  # noqa: E402
import onnxruntime  # noqa: E402

import dataset  # noqa: E402
import evaluate  # noqa: E402
from export_onnx import FINDINGS_OUTPUT, HEATMAP_OUTPUT, INPUT_NAME, OPSET, SUPPORTED_OPS, build_model, ops_used  # noqa: E402
from network import BACKBONE, BLOCKS, CLASSIFIER_INPUTS, FEATURE_CHANNELS, HEAD, HEATMAP_SIZE, STEM_CHANNELS, LOGIT_LIMIT, multiply_accumulates, parameter_count  # noqa: E402
from phantoms import FINDINGS, render  # noqa: E402
from preprocess import INPUT_SIZE, manifest_input_spec, preprocess  # noqa: E402
from quantise import SETTINGS as QUANTISATION, quantise  # noqa: E402

PACKAGE_ID = "chest-phantom-demo"
PACKAGE_NAME = "Chest phantom demo model"
PACKAGE_VERSION = "2.0.1"
TASK = "chest-findings"
INTENDED_USE = (
    "A demonstration model trained on synthetic phantoms, not for clinical use. It shows how the "
    "box runs a model, flags findings for review and draws heat maps; its outputs on real "
    "radiographs mean nothing and must not inform any clinical decision."
)
LICENCE = "Apache-2.0 (weights and package: the Fluorobox project; trained only on synthetic phantoms)"
NUMBER_WORDS = {3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}
DISPLAY = {"nodule": "Nodule", "consolidation": "Consolidation", "effusion": "Pleural effusion"}
# The names a Russian box's overlay legend and panel show (the manifest's `localizedDisplay`).
DISPLAY_RU = {"nodule": "Очаг", "consolidation": "Консолидация", "effusion": "Плевральный выпот"}

TRAIN_COUNT = 12_000
TUNING_COUNT = 1_000
HELDOUT_COUNT = 2_000
CALIBRATION_COUNT = 256
AGREEMENT_COUNT = 300
LATENCY_RUNS = 50
STEPS = 2_400
BATCH = 32
SEED = 7
TIME_BUDGET_S = 19 * 60
TUNING_SEED_BASE = 7_000_000
REFERENCE_SEED_BASE = 8_000_000
REFERENCE_TOLERANCE = 0.02
REFERENCE_SOURCE_SIZE = 384  # not a multiple of 256: exercises fractional area weights


def log(text: str) -> None:
    print(text, flush=True)


def sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def save_npy(path: str, array: np.ndarray) -> None:
    with open(path, "wb") as f:
        np.save(f, array)


def train_or_load(work: str, retrain: bool):
    path = os.path.join(work, "params.npz")
    info_path = os.path.join(work, "training.json")
    if os.path.exists(path) and not retrain:
        with np.load(path) as data:
            params = {k: data[k] for k in data.files}
        with open(info_path) as f:
            return params, json.load(f)
    from train import train  # JAX is needed only to train

    started = time.time()
    data = dataset.load_or_generate(work, "train", dataset.TRAIN_SEED_BASE, TRAIN_COUNT)
    log(f"training set: {TRAIN_COUNT} phantoms in {time.time() - started:.0f}s")
    started = time.time()
    params, steps_done = train(data, STEPS, BATCH, SEED, log=log, time_budget_s=TIME_BUDGET_S)
    info = {
        "trainingSeconds": round(time.time() - started),
        "steps": steps_done,
        "batch": BATCH,
        "trainCount": TRAIN_COUNT,
        "cpu": platform.processor() or platform.machine(),
    }
    np.savez(path, **params)
    with open(info_path, "w") as f:
        json.dump(info, f)
    return params, info


def reference_cases():
    """One normal phantom and one with each finding, rendered at 384×384 and pre-processed."""
    cases = []
    wanted = [("normal", {}), ("nodule", {"nodule": True}), ("consolidation", {"consolidation": True}), ("effusion", {"effusion": True})]
    for index, (name, present) in enumerate(wanted):
        findings = {f: present.get(f, False) for f in FINDINGS}
        phantom = render(REFERENCE_SOURCE_SIZE, np.random.default_rng(REFERENCE_SEED_BASE + index), findings)
        cases.append((name, phantom.image.astype(np.uint16), preprocess(phantom.image)))
    return cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.dirname(os.path.dirname(HERE))
    parser.add_argument("--out", default=os.path.join(root, "models", PACKAGE_ID))
    parser.add_argument("--work", default=os.path.join(HERE, "work"))
    parser.add_argument("--retrain", action="store_true")
    parser.add_argument("--fluorobox", help="the fluorobox binary, to compare the phantoms with its demo study")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)

    params, training = train_or_load(args.work, args.retrain)
    log(f"parameters: {parameter_count(params)}, MACs per image: {multiply_accumulates() / 1e6:.1f} M")

    float_path = os.path.join(args.work, "model-float.onnx")
    int8_path = os.path.join(args.work, "model-int8.onnx")
    onnx.save(build_model(params, INPUT_SIZE, doc="Fluorobox chest phantom demo (float)"), float_path)
    calibration = dataset.load_or_generate(args.work, "calibration", dataset.CALIBRATION_SEED_BASE, CALIBRATION_COUNT)
    quantised = quantise(float_path, int8_path, calibration["inputs"])
    unsupported = ops_used(quantised) - SUPPORTED_OPS
    if unsupported:
        raise SystemExit(f"the quantised graph uses ops the box does not run: {sorted(unsupported)}")
    quantised.doc_string = "Fluorobox chest phantom demo, int8 QDQ. " + INTENDED_USE
    onnx.save(quantised, int8_path)

    tuning = dataset.load_or_generate(args.work, "tuning", TUNING_SEED_BASE, TUNING_COUNT)
    heldout = dataset.load_or_generate(args.work, "heldout", dataset.HELDOUT_SEED_BASE, HELDOUT_COUNT)
    int8_session = evaluate.session(int8_path)
    float_session = evaluate.session(float_path)
    tuning_findings, _ = evaluate.run(int8_session, tuning["inputs"])
    thresholds = evaluate.choose_thresholds(tuning_findings, tuning["labels"])
    log(f"thresholds (Youden's J on {TUNING_COUNT} tuning phantoms): {thresholds}")
    int8_findings, int8_heat = evaluate.run(int8_session, heldout["inputs"])
    float_findings, float_heat = evaluate.run(float_session, heldout["inputs"])
    int8_metrics = evaluate.metrics(int8_findings, int8_heat, heldout, thresholds)
    float_metrics = evaluate.metrics(float_findings, float_heat, heldout, thresholds)
    # Two correct int8 executions of the same graph need not agree bit for bit: ONNX Runtime's
    # fused int8 kernels against its op-by-op float emulation of the QDQ graph (no graph
    # optimisation) show how far apart they land, next to the reference tolerance.
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    emulation = ort.InferenceSession(int8_path, options, providers=["CPUExecutionProvider"])
    emulated_findings, emulated_heat = evaluate.run(emulation, heldout["inputs"][:AGREEMENT_COUNT])
    agreement = {
        "findingsMaxAbs": float(np.abs(int8_findings - float_findings).max()),
        "heatmapMaxAbs": float(np.abs(int8_heat - float_heat).max()),
        "emulationFindingsMaxAbs": float(np.abs(int8_findings[:AGREEMENT_COUNT] - emulated_findings).max()),
        "emulationHeatmapMaxAbs": float(np.abs(int8_heat[:AGREEMENT_COUNT] - emulated_heat).max()),
    }
    log(f"agreement: {agreement}")
    latency = {}
    for threads in (1, 2):
        sess = evaluate.session(int8_path, threads=threads)
        x = heldout["inputs"][0].astype(np.float32)[None, None]
        for _ in range(5):
            sess.run(None, {INPUT_NAME: x})
        times = []
        for _ in range(LATENCY_RUNS):
            started = time.perf_counter()
            sess.run(None, {INPUT_NAME: x})
            times.append(time.perf_counter() - started)
        latency[threads] = 1000 * float(np.median(times))
    log(f"ONNX Runtime median latency: {latency}")
    log("held-out (int8): " + json.dumps(int8_metrics, indent=1))
    log("held-out (float): " + json.dumps(float_metrics, indent=1))

    # The package, assembled in a staging folder and swapped in at the end.
    staging = args.out + ".staging"
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(os.path.join(staging, "reference"))
    shutil.copyfile(int8_path, os.path.join(staging, "model.onnx"))
    cases = []
    for name, source, x in reference_cases():
        findings, heat = int8_session.run([FINDINGS_OUTPUT, HEATMAP_OUTPUT], {INPUT_NAME: x})
        entry = {
            "name": name,
            "input": f"reference/{name}-input.npy",
            "outputs": {FINDINGS_OUTPUT: f"reference/{name}-{FINDINGS_OUTPUT}.npy", HEATMAP_OUTPUT: f"reference/{name}-{HEATMAP_OUTPUT}.npy"},
        }
        save_npy(os.path.join(staging, entry["input"]), x)
        save_npy(os.path.join(staging, entry["outputs"][FINDINGS_OUTPUT]), findings.astype(np.float32))
        save_npy(os.path.join(staging, entry["outputs"][HEATMAP_OUTPUT]), heat.astype(np.float32))
        if name == "nodule":
            entry["source"] = f"reference/{name}-source.npy"
            save_npy(os.path.join(staging, entry["source"]), source)
        cases.append(entry)
        log(f"reference {name}: findings {np.round(findings[0], 3).tolist()}")

    look = "not compared in this build (pass --fluorobox)"
    if args.fluorobox:
        import subprocess

        look = subprocess.run(
            [sys.executable, os.path.join(HERE, "compare_phantom.py"), "--fluorobox", args.fluorobox],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        log(look)
    card = model_card(thresholds, int8_metrics, float_metrics, agreement, training, quantised, look, latency)
    with open(os.path.join(staging, "MODEL_CARD.md"), "w") as f:
        f.write(card)
    with open(os.path.join(HERE, "MODEL_CARD.md"), "w") as f:
        f.write(card)

    files = []
    for folder, _, names in os.walk(staging):
        for name in sorted(names):
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, staging)
            files.append({"path": relative, "sha256": sha256(path), "size": os.path.getsize(path)})
    files.sort(key=lambda f: f["path"])
    manifest = {
        "formatVersion": 1,
        "id": PACKAGE_ID,
        "name": PACKAGE_NAME,
        "version": PACKAGE_VERSION,
        "task": TASK,
        "modalities": ["DX", "CR"],
        "bodyPart": "CHEST",
        "vendor": "Fluorobox project (demonstration)",
        "registrationNumber": None,
        "licence": LICENCE,
        "intendedUse": INTENDED_USE,
        "model": {"file": "model.onnx", "opset": OPSET, "quantisation": f"{QUANTISATION['format']}; weights {QUANTISATION['weights']}; activations {QUANTISATION['activations']}"},
        "input": manifest_input_spec(),
        "outputs": {
            "findings": {
                "name": FINDINGS_OUTPUT,
                "activation": "sigmoid",
                "labels": [
                    {"id": f, "display": DISPLAY[f], "localizedDisplay": {"ru": DISPLAY_RU[f]}, "threshold": thresholds[f]}
                    for f in FINDINGS
                ],
            },
            "heatMap": {"name": HEATMAP_OUTPUT, "shape": [1, len(FINDINGS), HEATMAP_SIZE, HEATMAP_SIZE], "activation": "sigmoid"},
        },
        "reference": {"tolerance": REFERENCE_TOLERANCE, "cases": cases},
        "files": files,
    }
    with open(os.path.join(staging, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, sort_keys=True, ensure_ascii=False)
        f.write("\n")
    shutil.rmtree(args.out, ignore_errors=True)
    os.replace(staging, args.out)
    total = sum(f["size"] for f in files)
    log(f"package written to {args.out} ({total / 1e6:.2f} MB, unsigned: run `fluorobox model sign`)")
    return 0


def model_card(thresholds, int8, flt, agreement, training, quantised, look, latency) -> str:
    rows = []
    for f in FINDINGS:
        m, fm = int8["findings"][f], flt["findings"][f]
        rows.append(
            f"| {DISPLAY[f]} | {m['positives']} | {m['auroc']:.3f} | {fm['auroc']:.3f} | {thresholds[f]:.2f} | "
            f"{m['sensitivity']:.3f} | {m['specificity']:.3f} | {m['localisationHitRate']:.3f} ({m['localisationHits']}/{m['localisationCases']}) |"
        )
    ops = sorted(ops_used(quantised))
    size_kb = len(quantised.SerializeToString()) / 1024
    blocks = ", ".join(f"{pw[2]}ch s{dw[4]}" for dw, pw in zip(BACKBONE[1::2], BACKBONE[2::2]))
    return f"""# Model card: {PACKAGE_NAME} ({PACKAGE_ID}@{PACKAGE_VERSION})

**Intended use.** {INTENDED_USE}

It is not a medical device, has no registration number, and was never shown a real patient's
image. It exists so the box's inference path (package verification, pre-processing, the int8
runtime, thresholds, heat maps, reports) can be demonstrated and tested end to end.

## What it does
- Task `{TASK}`; modality DX or CR; body part CHEST; posterior-anterior view.
- Input `{INPUT_NAME}`: float32 1×1×{INPUT_SIZE}×{INPUT_SIZE}. The raster (MONOCHROME2) is resized by area
  averaging, windowed between its 0.5th and 99.5th percentiles to 0…1, then normalised as
  (x − 0.5) / 0.25 (tools/model/preprocess.py; the manifest states the same).
- Output `{FINDINGS_OUTPUT}`: 1×3 probabilities for nodule, consolidation, pleural effusion; a finding
  at or above its threshold is "flagged for review".
- Output `{HEATMAP_OUTPUT}`: 1×3×{HEATMAP_SIZE}×{HEATMAP_SIZE}, one coarse map per finding (each cell covers
  16×16 input pixels), to be upsampled onto the image.

## Model
- Depthwise-separable CNN, shaped for the box's runtime (see tools/model/network.py): a 2×2
  stride-2 stem ({STEM_CHANNELS}ch), {NUMBER_WORDS.get(len(BLOCKS), len(BLOCKS))} blocks of a 3×3 depthwise and a 1×1 convolution with ReLU
  ({blocks}), a heat-map head (1×1 convs
  {FEATURE_CHANNELS}→{HEAD[0][2]}→{HEAD[1][2]}) and a finding head (global average of the features and the peak of each heat map,
  concatenated, Gemm {CLASSIFIER_INPUTS}→{HEAD[1][2]}). Both logits are clipped to ±{LOGIT_LIMIT:g} before the Sigmoid, so
  probabilities run from 0.018 to 0.982: this keeps one int8 step of a logit below 0.01 of
  probability, so correct int8 runtimes can agree within the 0.02 the box is held to (the
  quantiser folds the Clip into the logits' int8 range).
- {parameter_count_text()} parameters; {multiply_accumulates() / 1e6:.1f} M multiply-accumulates
  ({2 * multiply_accumulates() / 1e6:.0f} MFLOPs) per image.
- ONNX opset {OPSET}, written with onnx.helper from the trained weights; int8 QDQ by ONNX
  Runtime {onnxruntime.__version__}'s static quantizer: weights {QUANTISATION['weights']};
  activations {QUANTISATION['activations']}; {QUANTISATION['calibration']} ({CALIBRATION_COUNT}
  phantoms). model.onnx is {size_kb:.0f} KiB. Ops in the graph: {", ".join(ops)}.
- ONNX Runtime {onnxruntime.__version__} runs it in {latency[1]:.1f} ms with 1 thread and {latency[2]:.1f} ms with 2
  (median of {LATENCY_RUNS}, {platform.machine()}, measured by the build; the box's own runtime is
  benchmarked by its own tools).

## Training data
Synthetic phantoms only (tools/model/phantoms.py): the anatomy of the box's own
`ChestPhantom` (body, lungs, heart, spine, ribs, clavicles) with random spread in size,
position, exposure, gradient and noise, and with findings drawn at known positions: nodules
(round opacities of 4–9 pixels radius at 256²), consolidation (patchy opacity confined to a
lung) and effusion (fluid at a lung base with a meniscus). Each finding is present with
probability 0.35, independently. With the random spread turned off the generator draws the
box's demo study (`tools/model/compare_phantom.py`): {look}.
{training['trainCount']} training phantoms; thresholds tuned on
{TUNING_COUNT} other phantoms; metrics below on {int8['count']} held-out phantoms from a seed range
used nowhere else.

Training: JAX {jax_version()} on the CPU, Adam with cosine decay, {training['steps']} steps of
{training['batch']}, loss = weighted binary cross-entropy of the findings + 2 × binary
cross-entropy of the heat maps against the lesion cells; {training['trainingSeconds']} s of CPU time
(2 cores, `nice`).

## Held-out results ({int8['count']} phantoms)

| finding | positives | AUROC int8 | AUROC float | threshold | sensitivity | specificity | localisation hit rate |
|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Overall localisation hit rate (int8): **{int8['localisationHitRate']:.3f}**. A hit: on a held-out
phantom that has the finding, the peak cell of that finding's heat map lies on the lesion or in
one of the cells next to it (16 input pixels of tolerance). Sensitivity and specificity are at the
thresholds in the manifest.

Quantisation: the int8 model differs from the float model by at most
{agreement['findingsMaxAbs']:.4f} in a finding probability and {agreement['heatmapMaxAbs']:.4f} in a
heat-map cell over the held-out set. Two int8 executions of the shipped graph — ONNX Runtime's
fused int8 kernels and its op-by-op float emulation of the QDQ graph — differ by at most
{agreement['emulationFindingsMaxAbs']:.4f} (findings) and {agreement['emulationHeatmapMaxAbs']:.4f} (heat map) over
{AGREEMENT_COUNT} held-out phantoms: the scale of disagreement to expect between correct runtimes,
against the reference tolerance of {REFERENCE_TOLERANCE}.

## Limits
- Trained and evaluated on phantoms only. Real radiographs look different in every respect that
  matters; its outputs on them are meaningless.
- Three findings only, one view, adults' proportions of a single made-up body.
- The reference cases in the package (`reference/`) are for checking a runtime (expected
  outputs from ONNX Runtime, tolerance {REFERENCE_TOLERANCE}), not for judging the model.

Reproduce: `tools/model/build-package` (trains with `nice` in about 20 minutes of CPU, then signs
with the demo key and checks the package against ONNX Runtime). Generated on
{datetime.date.today().isoformat()}.
"""


def parameter_count_text() -> str:
    from network import init_parameters

    return f"{parameter_count(init_parameters(0)):,}"


def jax_version() -> str:
    try:
        import jax

        return jax.__version__
    except ImportError:
        return "(not installed)"


if __name__ == "__main__":
    sys.exit(main())
