"""Times the same models in `fluorobox model eval --repeat` and in ONNX Runtime (see
tools/bench/inference). GOPS counts 2 operations per multiply-accumulate of Conv and Gemm."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper, shape_inference


def operations(path: str) -> float:
    model = shape_inference.infer_shapes(onnx.load(path))
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in list(model.graph.value_info) + list(model.graph.output) + list(model.graph.input)}
    weights = {t.name: list(t.dims) for t in model.graph.initializer}
    producer = {o: n for n in model.graph.node for o in n.output}

    def weight_dims(name: str) -> list[int]:
        while name not in weights and name in producer:  # through DequantizeLinear
            name = producer[name].input[0]
        return weights.get(name, [])

    total = 0.0
    for node in model.graph.node:
        if node.op_type == "Conv":
            out = shapes.get(node.output[0]) or []
            w = weight_dims(node.input[1])
            if out and w:
                total += 2 * np.prod(out) * np.prod(w[1:])
        elif node.op_type in ("Gemm", "MatMul"):
            w = weight_dims(node.input[1])
            total += 2 * np.prod(w)
    return float(total)


def ort_median(path: str, threads: int, feed: np.ndarray, runs: int) -> float:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    session.run(None, {name: feed})
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, {name: feed})
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times))


def fluorobox_median(binary: str, path: str, threads: int, feed: np.ndarray, runs: int, work: str) -> float:
    source = os.path.join(work, "in.npy")
    np.save(source, feed)
    result = subprocess.run([binary, "model", "eval", path, "--input", source, "--output", os.path.join(work, "out.npy"),
                             "--threads", str(threads), "--repeat", str(runs)], capture_output=True, text=True, check=True)
    return float(re.search(r"median ([0-9.]+) ms", result.stdout).group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="+")
    parser.add_argument("--fluorobox", required=True)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    print(f"onnxruntime {ort.__version__}; {os.cpu_count()} CPU(s); median of {args.runs} runs after a warm-up")
    print(f"{'model':<26}{'GOP':>7}{'threads':>9}{'fluorobox ms':>14}{'ORT ms':>10}{'fluorobox GOPS':>16}{'ORT GOPS':>10}{'ORT/fluorobox':>15}")
    with tempfile.TemporaryDirectory() as work:
        for path in args.models:
            session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
            shape = [d if isinstance(d, int) else 1 for d in session.get_inputs()[0].shape]
            feed = np.random.default_rng(1).normal(0, 1, shape).astype(np.float32)
            ops = operations(path)
            for threads in (1, 2):
                ours = fluorobox_median(args.fluorobox, path, threads, feed, args.runs, work)
                theirs = ort_median(path, threads, feed, args.runs)
                name = os.path.basename(os.path.dirname(path)) if os.path.basename(path) == "model.onnx" else os.path.basename(path)[:-5]
                print(f"{name:<26}{ops / 1e9:>7.2f}{threads:>9}{ours:>14.2f}{theirs:>10.2f}{ops / ours / 1e6:>16.2f}{ops / theirs / 1e6:>10.2f}{theirs / ours:>15.2f}")


if __name__ == "__main__":
    main()
