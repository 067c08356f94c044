"""Agreement of `fluorobox model eval` with ONNX Runtime on the same inputs.

    python tools/inference/agreement.py --fluorobox BIN MODEL.onnx [MODEL.onnx ...] [--count 50]

For each model: `count` inputs, the NIH chest radiographs of ../shared/testdata/chest_xray
first (pre-processed like the demo model's input: area resize, percentile window, normalise),
then the model package's reference inputs when there are any, then random fields; each run
through both runtimes; the largest absolute difference of any output must stay ≤ 0.02
(--tolerance). Prints one line per model; exits 1 if any model disagrees or fails to run.
"""

from __future__ import annotations

import argparse
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "model"))
sys.path.insert(0, HERE)
from pngread import read_png  # noqa: E402
from preprocess import preprocess  # noqa: E402

TESTDATA = os.environ.get("FLUOROBOX_TESTDATA", os.path.join(HERE, "..", "..", "..", "shared", "testdata"))


def inputs_for(model: str, shape: list[int], count: int) -> list[tuple[str, np.ndarray]]:
    size = shape[-1]
    items: list[tuple[str, np.ndarray]] = []
    radiographs = sorted(glob.glob(os.path.join(TESTDATA, "chest_xray", "**", "*.png"), recursive=True))
    for path in radiographs[: max(0, count - 10)]:
        image = read_png(path).astype(np.float64)
        items.append((os.path.basename(path), preprocess(image, size).reshape(shape).astype(np.float32)))
    for path in sorted(glob.glob(os.path.join(os.path.dirname(model), "reference", "*-input.npy"))):
        array = np.load(path)
        if list(array.shape) == shape:
            items.append((os.path.basename(path), array.astype(np.float32)))
    rng = np.random.default_rng(5)
    while len(items) < count:
        items.append((f"random-{len(items)}", rng.normal(0, 1, shape).astype(np.float32)))
    return items[:count]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="+")
    parser.add_argument("--fluorobox", required=True)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--tolerance", type=float, default=0.02)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if not os.path.isdir(os.path.join(TESTDATA, "chest_xray")):
        print(f"agreement: {TESTDATA}/chest_xray is absent: random fields replace the radiographs", file=sys.stderr)
    failed = False
    for model in args.models:
        session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
        feed = session.get_inputs()[0]
        shape = [d if isinstance(d, int) else 1 for d in feed.shape]
        outputs = [o.name for o in session.get_outputs()]
        worst, worst_case, radiographs = 0.0, "", 0
        with tempfile.TemporaryDirectory() as work:
            for name, array in inputs_for(model, shape, args.count):
                radiographs += name.endswith(".png")
                source = os.path.join(work, "in.npy")
                np.save(source, array)
                paths = [os.path.join(work, f"out{i}.npy") for i in range(len(outputs))]
                command = [args.fluorobox, "model", "eval", model, "--input", source, "--threads", str(args.threads)]
                for path in paths:
                    command += ["--output", path]
                result = subprocess.run(command, capture_output=True, text=True)
                if result.returncode != 0:
                    print(f"FAIL {model}: fluorobox model eval failed on {name}: {result.stderr.strip()}")
                    failed = True
                    break
                expected = session.run(outputs, {feed.name: array})
                for output, path, reference in zip(outputs, paths, expected):
                    difference = float(np.abs(np.load(path) - reference).max())
                    if difference > worst:
                        worst, worst_case = difference, f"{name}, output {output}"
            else:
                verdict = "ok  " if worst <= args.tolerance else "FAIL"
                failed |= worst > args.tolerance
                print(f"{verdict} {os.path.basename(model)}: {args.count} inputs ({radiographs} radiographs), "
                      f"max |fluorobox − onnxruntime| = {worst:.4f} (tolerance {args.tolerance})"
                      + (f", worst on {worst_case}" if worst > 0 else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
