"""ONNX Runtime as the reference of a QDQ model's arithmetic, shared by check_package.py and
tools/inference/agreement.py.

Why two sessions: with graph optimisations on, ORT fuses DequantizeLinear → op → QuantizeLinear
into int8 kernels whose rounding and saturation depend on the processor (on AVX2 without VNNI
the u8·s8 pairs are summed in saturating 16-bit lanes, vpmaddubsw). With graph optimisations off,
every node is evaluated as the ONNX operator definitions say (dequantise, compute in float,
quantise with round-half-to-even), which is the same on every x86-64 machine. That second one is
the reference of correctness; the fused kernels are reported as a figure only.

Tolerances are counted in quantisation steps of each output (the scale of the
DequantizeLinear that produces it), since a quantised output can only move in whole steps.
"""

from __future__ import annotations

import os

import numpy as np
import onnx
import onnx.numpy_helper
import onnxruntime as ort


def session(model_path: str, threads: int, fused: bool) -> ort.InferenceSession:
    """A CPU session: `fused` = ORT's graph optimisations (int8 kernels); otherwise QDQ arithmetic."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.graph_optimization_level = (
        ort.GraphOptimizationLevel.ORT_ENABLE_ALL if fused else ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    )
    return ort.InferenceSession(model_path, options, providers=["CPUExecutionProvider"])


def output_steps(model_path: str) -> dict[str, float]:
    """Each graph output's quantisation step: the scale of the DequantizeLinear producing it
    (per-tensor), or absent when the output is not quantised."""
    model = onnx.load(model_path)
    initialisers = {i.name: i for i in model.graph.initializer}
    outputs = {o.name for o in model.graph.output}
    steps: dict[str, float] = {}
    for node in model.graph.node:
        if node.op_type == "DequantizeLinear" and node.output[0] in outputs and node.input[1] in initialisers:
            scale = onnx.numpy_helper.to_array(initialisers[node.input[1]])
            if scale.size == 1:
                steps[node.output[0]] = float(scale.reshape(-1)[0])
    return steps


def in_steps(difference: float, step: float | None) -> str:
    return f"{difference / step:.1f} steps" if step else "not quantised"


def cpu_description() -> str:
    """The flags that decide ORT's int8 kernels on x86-64. Under qemu-user /proc/cpuinfo is the
    host's while CPUID is the emulated CPU's, so tools/test names the emulated CPU in
    FLUOROBOX_EMULATED_CPU."""
    emulated = os.environ.get("FLUOROBOX_EMULATED_CPU")
    if emulated:
        return f"emulated by qemu-user: {emulated}"
    flags: set[str] = set()
    model = "unknown processor"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags") and not flags:
                    flags = set(line.split(":", 1)[1].split())
                elif line.startswith("model name") and model == "unknown processor":
                    model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    vnni = sorted(flags & {"avx512_vnni", "avx_vnni"})
    return f"{model}; avx2 {'yes' if 'avx2' in flags else 'no'}; vnni {' '.join(vnni) if vnni else 'no'}"


def max_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).max()) if a.shape == b.shape else float("inf")
