"""Checks a model package's model against ONNX Runtime, independently of the Swift code.

For each package folder given (default: every folder under models/):
- the pinned files have the SHA-256 and size the manifest says (hashlib);
- model.onnx passes onnx.checker, uses only the ops the box's runtime executes, and its input
  and outputs have the names and shapes the manifest gives;
- each reference input, run through ONNX Runtime's QDQ arithmetic (graph optimisations off, the
  reference of correctness), gives the reference outputs within one quantisation step of each
  quantised output (the manifest's tolerance for outputs that are not quantised); ORT's fused
  int8 kernels are run too and their difference printed as a figure, not judged;
- where a case ships its source raster, tools/model/preprocess.py turns it into the reference
  input (so the manifest's pre-processing description is the one the inputs were made with).

The signature is checked by `fluorobox model verify` (Swift), not here.
Prints one line per check and ends with "N passed, N failed"; exit status 1 on any failure.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import onnx  # noqa: E402

import ort_reference  # noqa: E402
from export_onnx import SUPPORTED_OPS  # noqa: E402
from preprocess import preprocess  # noqa: E402


class Checker:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok: bool, text: str) -> bool:
        print(("ok      " if ok else "FAILED  ") + text, flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        return ok


def dims(value_info) -> list[int]:
    return [d.dim_value if d.HasField("dim_value") else -1 for d in value_info.type.tensor_type.shape.dim]


def check_package(folder: str, checker: Checker, threads: int) -> None:
    name = os.path.basename(os.path.normpath(folder))
    with open(os.path.join(folder, "manifest.json"), "rb") as f:
        manifest = json.loads(f.read())
    for pinned in manifest["files"]:
        path = os.path.join(folder, pinned["path"])
        try:
            with open(path, "rb") as f:
                data = f.read()
            ok = hashlib.sha256(data).hexdigest() == pinned["sha256"] and len(data) == pinned["size"]
        except OSError as error:
            ok, data = False, str(error)
        checker.check(ok, f"{name}: {pinned['path']} matches its pinned sha256")

    model_path = os.path.join(folder, manifest["model"]["file"])
    model = onnx.load(model_path)
    try:
        onnx.checker.check_model(model, full_check=True)
        checker.check(True, f"{name}: onnx.checker accepts {manifest['model']['file']}")
    except Exception as error:  # the checker raises several types
        checker.check(False, f"{name}: onnx.checker: {error}")
    ops = {node.op_type for node in model.graph.node}
    checker.check(ops <= SUPPORTED_OPS, f"{name}: ops {sorted(ops)} are all ones the box runs" + (f" (not: {sorted(ops - SUPPORTED_OPS)})" if ops - SUPPORTED_OPS else ""))
    inputs = {i.name: dims(i) for i in model.graph.input}
    outputs = {o.name: dims(o) for o in model.graph.output}
    spec = manifest["input"]
    checker.check(inputs.get(spec["name"]) == spec["shape"], f"{name}: input {spec['name']} has shape {spec['shape']} (graph: {inputs})")
    findings = manifest["outputs"]["findings"]
    heat = manifest["outputs"]["heatMap"]
    checker.check(outputs.get(findings["name"]) == [1, len(findings["labels"])], f"{name}: output {findings['name']} is 1×{len(findings['labels'])} (graph: {outputs.get(findings['name'])})")
    checker.check(outputs.get(heat["name"]) == heat["shape"], f"{name}: output {heat['name']} has shape {heat['shape']} (graph: {outputs.get(heat['name'])})")

    # The reference of correctness is ORT's QDQ arithmetic (graph optimisations off): every
    # DequantizeLinear/op/QuantizeLinear as the operator definitions say, the same on every
    # x86-64 machine. ORT's fused int8 kernels (optimisations on) round and saturate by
    # processor, so their difference is printed as a figure and never judged (ort_reference.py).
    reference = ort_reference.session(model_path, threads, fused=False)
    fused = ort_reference.session(model_path, threads, fused=True)
    steps = ort_reference.output_steps(model_path)
    tolerance = manifest["reference"]["tolerance"]
    for case in manifest["reference"]["cases"]:
        x = np.load(os.path.join(folder, case["input"]))
        names = list(case["outputs"].keys())
        got = reference.run(names, {spec["name"]: x})
        got_fused = fused.run(names, {spec["name"]: x})
        for (output, path), value, value_fused in zip(case["outputs"].items(), got, got_fused):
            expected = np.load(os.path.join(folder, path))
            step = steps.get(output)
            diff = ort_reference.max_difference(value, expected)
            # The shipped outputs were made with this arithmetic: a quantised output may differ by
            # at most one step (a float sum in another order landing on the other side of a .5).
            bound = step if step else tolerance
            checker.check(diff <= bound + 1e-7, f"{name}: reference {case['name']} {output} (QDQ arithmetic): max |ORT − expected| = {diff:.6f}, {ort_reference.in_steps(diff, step)} (bound {bound:.6f})")
            fused_diff = ort_reference.max_difference(value_fused, value)
            print(f"figure  {name}: reference {case['name']} {output}: ORT's fused int8 kernels differ from QDQ arithmetic by {fused_diff:.6f} ({ort_reference.in_steps(fused_diff, step)}; not judged)", flush=True)
        if "source" in case:
            source = np.load(os.path.join(folder, case["source"]))
            remade = preprocess(source.astype(np.float64), size=spec["shape"][2])
            diff = float(np.abs(remade - x).max())
            checker.check(diff <= 1e-5, f"{name}: reference {case['name']}: pre-processing the {source.shape[0]}×{source.shape[1]} source gives the input (max diff {diff:.2e})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("packages", nargs="*", help="package folders (default: every folder under models/)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    folders = args.packages
    if not folders:
        base = os.path.join(os.path.dirname(os.path.dirname(HERE)), "models")
        folders = sorted(os.path.join(base, d) for d in os.listdir(base) if os.path.isfile(os.path.join(base, d, "manifest.json")))
    checker = Checker()
    print(f"check_package: processor: {ort_reference.cpu_description()}", flush=True)
    for folder in folders:
        check_package(folder, checker, args.threads)
    print(f"check_package: {checker.passed} passed, {checker.failed} failed")
    return 0 if checker.failed == 0 and checker.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
