"""The demo network: a small plain CNN with a finding head and a coarse heat-map head.

    image 1×1×256×256
    backbone: six 3×3 convolutions with ReLU (strides 2,2,2,1,2,1; 16,32,48,48,64,64 channels)
              → features 64×16×16
    heat-map head: 1×1 conv 64→32 + ReLU, 1×1 conv 32→3, Clip ±4 → logits 3×16×16
              → Sigmoid → "heatmap" (one coarse map per finding, 16×16 cells of 16×16 pixels)
    finding head: [GlobalAveragePool(features) (64), MaxPool16×16(heat logits) (3)] → Concat
              → Gemm 67→3, Clip ±4 → Sigmoid → "findings"

Feeding the heat map's peak into the finding head lets a small lesion (a nodule covers one or
two cells) drive its probability, which a global average alone would dilute.

Training smooths its targets so the logits settle within about ±3.9, and the export clips both
logits to ±LOGIT_LIMIT (probabilities 0.018…0.982), so that, once quantised to
int8, one step of a logit moves a probability by at most about 0.008: unclipped, the heat
logits spanned −46…78 and one int8 step (0.49) could move a probability by 0.12, so two
correct int8 runtimes that round one value differently disagreed far beyond the 0.02 the box
is held to.

Only ops the box's runtime supports appear in the export: Conv, Relu, GlobalAveragePool,
MaxPool, Flatten, Concat, Gemm, Clip, Sigmoid (and Quantize/DequantizeLinear after quantisation).
"""

from __future__ import annotations

import numpy as np

FINDING_COUNT = 3
HEATMAP_SIZE = 16

# (name, in_channels, out_channels, kernel, stride)
BACKBONE = [
    ("conv1", 1, 16, 3, 2),
    ("conv2", 16, 32, 3, 2),
    ("conv3", 32, 48, 3, 2),
    ("conv4", 48, 48, 3, 1),
    ("conv5", 48, 64, 3, 2),
    ("conv6", 64, 64, 3, 1),
]
HEAD = [
    ("heat1", 64, 32, 1, 1),
    ("heat2", 32, FINDING_COUNT, 1, 1),
]
CLASSIFIER_INPUTS = 64 + FINDING_COUNT
LOGIT_LIMIT = 4.0


def init_parameters(seed: int) -> dict[str, np.ndarray]:
    """He-initialised weights (OIHW) and zero biases; the classifier's bias starts at the
    prior log-odds of a finding (about 0.35)."""
    rng = np.random.default_rng(seed)
    params: dict[str, np.ndarray] = {}
    for name, cin, cout, k, _ in BACKBONE + HEAD:
        fan_in = cin * k * k
        params[name + ".weight"] = (rng.normal(0, np.sqrt(2.0 / fan_in), (cout, cin, k, k))).astype(np.float32)
        params[name + ".bias"] = np.zeros(cout, np.float32)
    params["heat2.bias"][:] = -3.0  # heat-map cells are mostly empty
    params["classifier.weight"] = (rng.normal(0, np.sqrt(1.0 / CLASSIFIER_INPUTS), (FINDING_COUNT, CLASSIFIER_INPUTS))).astype(np.float32)
    params["classifier.bias"] = np.full(FINDING_COUNT, np.log(0.35 / 0.65), np.float32)
    return params


def multiply_accumulates(size: int = 256) -> int:
    """MACs of one forward pass (convolutions and the Gemm)."""
    total, side = 0, size
    for _, cin, cout, k, stride in BACKBONE:
        side //= stride
        total += side * side * cout * cin * k * k
    for _, cin, cout, k, _ in HEAD:
        total += side * side * cout * cin * k * k
    return total + CLASSIFIER_INPUTS * FINDING_COUNT


def parameter_count(params: dict[str, np.ndarray]) -> int:
    return int(sum(p.size for p in params.values()))
