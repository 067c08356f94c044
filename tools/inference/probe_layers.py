"""Where `fluorobox model eval` and ONNX Runtime's QDQ arithmetic (graph optimisations off) part,
layer by layer: every quantised activation (a DequantizeLinear of a QuantizeLinear) becomes a
graph output of a copy of the model, both run it on one random input, and each activation's
largest difference and count of differing values are printed in its own quantisation steps, in
graph order. The first layer that differs is where a rounding went the other way.

    python tools/inference/probe_layers.py --fluorobox BIN MODEL.onnx [--draw N]

--draw N takes the N-th normal field of seed 5 (agreement.py's random-(10 + N) with 10 radiographs).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "model"))
import ort_reference  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--fluorobox", required=True)
    parser.add_argument("--draw", type=int, default=0)
    args = parser.parse_args()
    model = onnx.load(args.model)
    producers = {output: node for node in model.graph.node for output in node.output}
    initialisers = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    layers = [node for node in model.graph.node if node.op_type == "DequantizeLinear"
              and node.input[0] in producers and producers[node.input[0]].op_type == "QuantizeLinear"]
    steps = {node.output[0]: float(initialisers[node.input[1]]) for node in layers}
    outputs = [o.name for o in model.graph.output]
    for node in layers:
        if node.output[0] not in outputs:
            model.graph.output.append(helper.make_tensor_value_info(node.output[0], TensorProto.FLOAT, None))
            outputs.append(node.output[0])
    with tempfile.TemporaryDirectory() as work:
        probe = os.path.join(work, "probe.onnx")
        onnx.save(model, probe)
        session = ort_reference.session(probe, 1, fused=False)
        feed = session.get_inputs()[0]
        shape = [d if isinstance(d, int) else 1 for d in feed.shape]
        rng = np.random.default_rng(5)
        for _ in range(args.draw + 1):
            array = rng.normal(0, 1, shape).astype(np.float32)
        np.save(os.path.join(work, "in.npy"), array)
        paths = [os.path.join(work, f"out{i}.npy") for i in range(len(outputs))]
        command = [args.fluorobox, "model", "eval", probe, "--input", os.path.join(work, "in.npy")]
        for path in paths:
            command += ["--output", path]
        subprocess.run(command, check=True, capture_output=True)
        for name, path, reference in zip(outputs, paths, session.run(outputs, {feed.name: array})):
            step = steps.get(name)
            if not step:
                continue
            difference = np.rint(np.abs(np.load(path).astype(np.float64) - reference) / step)
            print(f"{name[:48]:48s} {str(list(reference.shape)):18s} max {difference.max():.0f} steps, {int((difference > 0).sum())}/{difference.size} differ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
