"""Agreement of `fluorobox model eval` with ONNX Runtime on the same inputs.

    python tools/inference/agreement.py --fluorobox BIN MODEL.onnx [MODEL.onnx ...] [--count 50]

For each model: `count` inputs, the NIH chest radiographs of ../shared/testdata/chest_xray
first (pre-processed like the demo model's input: area resize, percentile window, normalise),
then the model package's reference inputs when there are any, then random fields; each run
through `fluorobox model eval` and through ONNX Runtime's QDQ arithmetic (graph optimisations
off: the reference of correctness, the same on every x86-64 machine; see
tools/model/ort_reference.py). Both are evaluations of the same QDQ graph whose roundings may flip
a step apart (ORT's reference sums each convolution in float32, whose order decides values near
a .5; the box sums in int32 and requantises in fp32), and a flip in a middle layer reaches the
output multiplied by the layers after it. So each quantised output is judged in its own
quantisation steps twice: at least --share (95 %) of its values over all inputs within
--tolerance-steps (2; on the 40 NIH radiographs 97 % of the demo model's findings and all of the
other models' outputs are),
and none past --max-steps (32, a flipped rounding carried through the gain of the last layers);
an output that is not quantised by at most --tolerance. ORT's fused int8
kernels are run too and their difference from the reference printed as a figure, not judged:
they round and saturate differently by processor. Prints the processor, one line per model;
exits 1 if any model disagrees or fails to run.
"""

from __future__ import annotations

import argparse
import functools
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


@functools.lru_cache(maxsize=4)
def radiographs_for(size: int, count: int) -> tuple[tuple[str, np.ndarray], ...]:
    """The first `count` radiographs pre-processed to size × size, decoded once per run (the
    pure-Python PNG reader takes a second or two each)."""
    paths = sorted(glob.glob(os.path.join(TESTDATA, "chest_xray", "**", "*.png"), recursive=True))[:count]
    return tuple((os.path.basename(path), preprocess(read_png(path).astype(np.float64), size).astype(np.float32)) for path in paths)


def inputs_for(model: str, shape: list[int], count: int) -> list[tuple[str, np.ndarray]]:
    size = shape[-1]
    items: list[tuple[str, np.ndarray]] = []
    for name, image in radiographs_for(size, max(0, count - 10)):
        items.append((name, image.reshape(shape)))
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
    parser.add_argument("--tolerance-steps", type=float, default=2.0)
    parser.add_argument("--share", type=float, default=0.95)
    parser.add_argument("--max-steps", type=float, default=32.0)
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
        # Worst figures over every input: the largest difference (in steps, or absolute for an
        # output that is not quantised) and the smallest share of values within tolerance.
        worst_steps, worst_text, worst_fused, radiographs = 0.0, "", 0.0, 0
        within: dict[str, int] = {}
        total: dict[str, int] = {}
        failed_model = False
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
                    got = np.load(path).astype(np.float64)
                    if got.shape != reference.shape:
                        print(f"FAIL {model}: output {output} has shape {got.shape}, ORT {reference.shape}")
                        failed_model = True
                        continue
                    difference = np.abs(got - reference.astype(np.float64))
                    if not step:
                        if float(difference.max()) > args.tolerance:
                            failed_model = True
                        worst_text = worst_text or f"{float(difference.max()):.4f} (not quantised) on {name}, output {output}"
                        continue
                    in_steps = difference / step
                    within[output] = within.get(output, 0) + int((np.rint(in_steps) <= args.tolerance_steps).sum())
                    total[output] = total.get(output, 0) + in_steps.size
                    if float(in_steps.max()) > worst_steps:
                        worst_steps = float(np.rint(in_steps).max())
                        worst_text = f"{worst_steps:.0f} steps on {name}, output {output}"
                    worst_fused = max(worst_fused, ort_reference.max_difference(reference_fused, reference) / step)
            else:
                shares = {output: within[output] / total[output] for output in total}
                lowest = min(shares, key=shares.get) if shares else None
                lowest_share = shares[lowest] if lowest else 1.0
                share_text = f" (output {lowest})" if lowest else ""
                failed_model |= lowest_share < args.share or worst_steps > args.max_steps + 1e-6
                failed |= failed_model
                print(f"{'FAIL' if failed_model else 'ok  '} {os.path.basename(model)}: {args.count} inputs ({radiographs} radiographs) "
                      f"against ORT's QDQ arithmetic: {lowest_share:.2%} of values within {args.tolerance_steps:g} steps{share_text} "
                      f"(need {args.share:.0%}), max {worst_text or '0 steps'} (need ≤ {args.max_steps:g}); "
                      f"figure: ORT's fused int8 kernels differ from QDQ by up to {worst_fused:.0f} steps (not judged)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
