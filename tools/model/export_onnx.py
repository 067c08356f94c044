"""Writes the trained network as an ONNX graph with onnx.helper (JAX has no ONNX exporter)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from network import BACKBONE, FINDING_COUNT, HEAD, HEATMAP_SIZE, LOGIT_LIMIT, padding

OPSET = 17
INPUT_NAME = "image"
FINDINGS_OUTPUT = "findings"
HEATMAP_OUTPUT = "heatmap"
# The op set the box's runtime executes (issue 5); the export and the check script hold to it.
SUPPORTED_OPS = {
    "Conv", "Gemm", "MatMul", "Add", "Mul", "Relu", "Clip", "MaxPool", "AveragePool",
    "GlobalAveragePool", "Flatten", "Reshape", "Concat", "Resize", "Sigmoid", "Softmax",
    "QuantizeLinear", "DequantizeLinear",
}


def build_model(params: dict[str, np.ndarray], size: int = 256, doc: str = "") -> onnx.ModelProto:
    nodes, initializers = [], []

    def weight(name):
        initializers.append(numpy_helper.from_array(params[name].astype(np.float32), name))
        return name

    def conv(name, source, stride, kernel, relu, groups=1):
        pad = padding(kernel)
        out = name + ("_pre" if relu else "_out")
        nodes.append(helper.make_node(
            "Conv", [source, weight(name + ".weight"), weight(name + ".bias")], [out], name=name,
            kernel_shape=[kernel, kernel], strides=[stride, stride], pads=[pad, pad, pad, pad], group=groups,
        ))
        if relu:
            nodes.append(helper.make_node("Relu", [out], [name + "_out"], name=name + "_relu"))
        return name + "_out"

    x = INPUT_NAME
    for name, _, _, k, stride, groups in BACKBONE:
        x = conv(name, x, stride, k, relu=True, groups=groups)
    features = x
    h = conv(HEAD[0][0], features, 1, 1, relu=True)
    heat_raw = conv(HEAD[1][0], h, 1, 1, relu=False)
    initializers.append(numpy_helper.from_array(np.array(-LOGIT_LIMIT, np.float32), "logit_min"))
    initializers.append(numpy_helper.from_array(np.array(LOGIT_LIMIT, np.float32), "logit_max"))
    heat_logits = "heat_logits"
    nodes.append(helper.make_node("Clip", [heat_raw, "logit_min", "logit_max"], [heat_logits], name="heat_clip"))
    nodes.append(helper.make_node("Sigmoid", [heat_logits], [HEATMAP_OUTPUT], name="heatmap_sigmoid"))
    nodes.append(helper.make_node("GlobalAveragePool", [features], ["pooled"], name="pool_features"))
    nodes.append(helper.make_node("Flatten", ["pooled"], ["pooled_flat"], name="flatten_features", axis=1))
    nodes.append(helper.make_node(
        "MaxPool", [heat_logits], ["peak"], name="peak_heat",
        kernel_shape=[HEATMAP_SIZE, HEATMAP_SIZE], strides=[HEATMAP_SIZE, HEATMAP_SIZE],
    ))
    nodes.append(helper.make_node("Flatten", ["peak"], ["peak_flat"], name="flatten_peak", axis=1))
    nodes.append(helper.make_node("Concat", ["pooled_flat", "peak_flat"], ["evidence"], name="evidence", axis=1))
    nodes.append(helper.make_node(
        "Gemm", ["evidence", weight("classifier.weight"), weight("classifier.bias")], ["classifier_out"],
        name="classifier", transB=1,
    ))
    nodes.append(helper.make_node("Clip", ["classifier_out", "logit_min", "logit_max"], ["finding_logits"], name="finding_clip"))
    nodes.append(helper.make_node("Sigmoid", ["finding_logits"], [FINDINGS_OUTPUT], name="findings_sigmoid"))

    graph = helper.make_graph(
        nodes, "chest_phantom_demo",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [1, 1, size, size])],
        [
            helper.make_tensor_value_info(FINDINGS_OUTPUT, TensorProto.FLOAT, [1, FINDING_COUNT]),
            helper.make_tensor_value_info(HEATMAP_OUTPUT, TensorProto.FLOAT, [1, FINDING_COUNT, HEATMAP_SIZE, HEATMAP_SIZE]),
        ],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="fluorobox tools/model")
    model.ir_version = 8
    model.doc_string = doc
    onnx.checker.check_model(model, full_check=True)
    return model


def ops_used(model: onnx.ModelProto) -> set[str]:
    return {node.op_type for node in model.graph.node}
