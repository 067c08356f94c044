"""Agreement of `fluorobox model eval` with ONNX Runtime on the same inputs.

    python tools/inference/agreement.py --fluorobox BIN MODEL.onnx [MODEL.onnx ...] [--count 50]

For each model: `count` inputs, the NIH chest radiographs of ../shared/testdata/chest_xray
first (pre-processed like the demo model's input: area resize, percentile window, normalise),
then the model package's reference inputs when there are any, then random fields; each run
through `fluorobox model eval` and through ONNX Runtime's QDQ arithmetic (graph optimisations
off: the reference of correctness, the same on every x86-64 machine; see
tools/model/ort_reference.py). A quantised output may differ by at most --tolerance-steps of its
quantisation step (an output that is not quantised by at most --tolerance). ORT's fused int8
kernels are run too and their difference from the reference printed as a figure, not judged:
they round and saturate differently by processor. Prints the processor, one line per model;
exits 1 if any model disagrees or fails to run.
"""

from __future__ import annotations

import argparse
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "model"))
sys.path.insert(0, HERE)
import ort_reference  # noqa: E402
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
    # Two steps: each int8 layer may round one step apart (XNNPACK requantises in fp32 with a
    # rounding that can differ from round-half-to-even at an exact .5), and such a step reaches
    # the output at most doubled through the few layers of these models; measured worst 2 steps.
    parser.add_argument("--tolerance-steps", type=float, default=2.0)
    parser.add_argument("--tolerance", type=float, default=0.02, help="for outputs that are not quantised")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if not os.path.isdir(os.path.join(TESTDATA, "chest_xray")):
        print(f"agreement: {TESTDATA}/chest_xray is absent: random fields replace the radiographs", file=sys.stderr)
    print(f"agreement: processor: {ort_reference.cpu_description()}", flush=True)
    failed = False
    for model in args.models:
        session = ort_reference.session(model, args.threads, fused=False)
        fused = ort_reference.session(model, args.threads, fused=True)
        steps = ort_reference.output_steps(model)
        feed = session.get_inputs()[0]
        shape = [d if isinstance(d, int) else 1 for d in feed.shape]
        outputs = [o.name for o in session.get_outputs()]
        # Worst ratio of difference to its allowance, so outputs with different steps compare.
        worst, worst_text, worst_fused, radiographs = 0.0, "", 0.0, 0
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
                expected_fused = fused.run(outputs, {feed.name: array})
                for output, path, reference, reference_fused in zip(outputs, paths, expected, expected_fused):
                    step = steps.get(output)
                    allowance = args.tolerance_steps * step if step else args.tolerance
                    difference = ort_reference.max_difference(np.load(path), reference)
                    if difference / allowance > worst:
                        worst = difference / allowance
                        worst_text = f"{difference:.4f} = {ort_reference.in_steps(difference, step)} on {name}, output {output}"
                    if step:
                        worst_fused = max(worst_fused, ort_reference.max_difference(reference_fused, reference) / step)
            else:
                verdict = "ok  " if worst <= 1 + 1e-6 else "FAIL"
                failed |= worst > 1 + 1e-6
                print(f"{verdict} {os.path.basename(model)}: {args.count} inputs ({radiographs} radiographs), "
                      f"max |fluorobox − ORT QDQ| = {worst_text or '0'} (tolerance {args.tolerance_steps:g} steps); "
                      f"figure: ORT's fused int8 kernels differ from QDQ by up to {worst_fused:.0f} steps (not judged)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
