"""Builds the extra QDQ models of the agreement test and the benchmark with onnx.helper: a
ResNet-style and a MobileNetV2-style classifier for 1×1×512×512 inputs, and a small
encoder–decoder ("unet-style") that exercises the remaining operators (AveragePool, Resize
nearest and linear, Concat, Reshape, Softmax); random weights (fixed seeds), quantised with ONNX
Runtime's quantize_static (QDQ, per-channel int8 weights, int8 activations) on random
calibration images.

    python tools/inference/build_models.py OUT_DIR
"""

from __future__ import annotations

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

SIZE = 512


class Graph:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.count = [], [], 0

    def name(self, base: str) -> str:
        self.count += 1
        return f"{base}{self.count}"

    def conv(self, x: str, cin: int, cout: int, k: int, stride: int = 1, group: int = 1, act: str | None = "relu") -> str:
        n = self.name("conv")
        fan_in = cin // group * k * k
        w = self.rng.normal(0, np.sqrt(2 / fan_in), (cout, cin // group, k, k)).astype(np.float32)
        b = self.rng.normal(0, 0.05, cout).astype(np.float32)
        self.inits += [numpy_helper.from_array(w, n + ".w"), numpy_helper.from_array(b, n + ".b")]
        y = n + "_out"
        self.nodes.append(helper.make_node("Conv", [x, n + ".w", n + ".b"], [y], name=n, kernel_shape=[k, k],
                                           strides=[stride, stride], pads=[k // 2] * 4, group=group))
        if act == "relu":
            self.nodes.append(helper.make_node("Relu", [y], [y + "_relu"], name=n + "_relu"))
            return y + "_relu"
        if act == "relu6":
            lo, hi = n + "_min", n + "_max"
            self.inits += [numpy_helper.from_array(np.array(0, np.float32), lo), numpy_helper.from_array(np.array(6, np.float32), hi)]
            self.nodes.append(helper.make_node("Clip", [y, lo, hi], [y + "_clip"], name=n + "_clip"))
            return y + "_clip"
        return y

    def add(self, a: str, b: str, relu: bool) -> str:
        n = self.name("add")
        self.nodes.append(helper.make_node("Add", [a, b], [n], name=n))
        if relu:
            self.nodes.append(helper.make_node("Relu", [n], [n + "_relu"], name=n + "_relu"))
            return n + "_relu"
        return n

    def head(self, x: str, channels: int, classes: int) -> None:
        self.nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"], name="pool"))
        self.nodes.append(helper.make_node("Flatten", ["pooled"], ["flat"], name="flatten", axis=1))
        w = self.rng.normal(0, np.sqrt(1 / channels), (classes, channels)).astype(np.float32)
        b = np.zeros(classes, np.float32)
        self.inits += [numpy_helper.from_array(w, "fc.w"), numpy_helper.from_array(b, "fc.b")]
        self.nodes.append(helper.make_node("Gemm", ["flat", "fc.w", "fc.b"], ["logits"], name="classifier", transB=1))
        self.nodes.append(helper.make_node("Sigmoid", ["logits"], ["scores"], name="scores"))

    def const(self, name: str, array: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def model(self, name: str, classes: int) -> onnx.ModelProto:
        graph = helper.make_graph(
            self.nodes, name,
            [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, SIZE, SIZE])],
            [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, classes])],
            self.inits,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model


def resnet() -> onnx.ModelProto:
    g = Graph(1)
    x = g.conv("image", 1, 32, 7, stride=2)
    g.nodes.append(helper.make_node("MaxPool", [x], ["stem_pool"], name="stem_pool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]))
    x, channels = "stem_pool", 32
    for out, stride in [(32, 1), (32, 1), (64, 2), (64, 1), (128, 2), (128, 1)]:
        y = g.conv(x, channels, out, 3, stride)
        y = g.conv(y, out, out, 3, 1, act=None)
        shortcut = x if stride == 1 and channels == out else g.conv(x, channels, out, 1, stride, act=None)
        x, channels = g.add(y, shortcut, relu=True), out
    g.head(x, channels, 14)
    return g.model("resnet_style", 14)


def mobilenet() -> onnx.ModelProto:
    g = Graph(2)
    x, channels = g.conv("image", 1, 16, 3, stride=2, act="relu6"), 16
    for expand, out, stride in [(1, 16, 1), (4, 24, 2), (4, 24, 1), (4, 32, 2), (4, 32, 1), (4, 64, 2), (4, 64, 1)]:
        hidden = channels * expand
        y = g.conv(x, channels, hidden, 1, act="relu6") if expand != 1 else x
        y = g.conv(y, hidden, hidden, 3, stride, group=hidden, act="relu6")
        y = g.conv(y, hidden, out, 1, act=None)
        x = g.add(y, x, relu=False) if stride == 1 and channels == out else y
        channels = out
    x = g.conv(x, channels, 256, 1, act="relu6")
    g.head(x, 256, 14)
    return g.model("mobilenetv2_style", 14)


def unet() -> onnx.ModelProto:
    g = Graph(3)
    skip = g.conv("image", 1, 16, 3, stride=2)                       # 256²
    g.nodes.append(helper.make_node("AveragePool", [skip], ["down"], name="down", kernel_shape=[2, 2], strides=[2, 2]))
    deep = g.conv("down", 16, 32, 3)                                   # 128²
    up_scales = g.const("up_scales", np.array([1, 1, 2, 2], np.float32))
    g.nodes.append(helper.make_node("Resize", [deep, "", up_scales], ["up"], name="up", mode="nearest"))
    g.nodes.append(helper.make_node("Concat", ["up", skip], ["joined"], name="joined", axis=1))
    x = g.conv("joined", 48, 32, 3, stride=2)                          # 128²
    half = g.const("half_scales", np.array([1, 1, 0.5, 0.5], np.float32))
    g.nodes.append(helper.make_node("Resize", [x, "", half], ["smaller"], name="smaller", mode="linear"))   # 64²
    g.nodes.append(helper.make_node("AveragePool", ["smaller"], ["pooled3"], name="pooled3", kernel_shape=[3, 3],
                                    strides=[2, 2], pads=[1, 1, 1, 1]))                                    # 32²
    x = g.conv("pooled3", 32, 64, 3)
    g.nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"], name="pool"))
    shape = g.const("flat_shape", np.array([1, -1], np.int64))
    g.nodes.append(helper.make_node("Reshape", ["pooled", shape], ["flat"], name="flatten"))
    w = g.rng.normal(0, np.sqrt(1 / 64), (14, 64)).astype(np.float32)
    g.inits += [numpy_helper.from_array(w, "fc.w"), numpy_helper.from_array(np.zeros(14, np.float32), "fc.b")]
    g.nodes.append(helper.make_node("Gemm", ["flat", "fc.w", "fc.b"], ["logits"], name="classifier", transB=1))
    g.nodes.append(helper.make_node("Softmax", ["logits"], ["scores"], name="scores", axis=-1))
    return g.model("unet_style", 14)


class Calibration(CalibrationDataReader):
    def __init__(self, seed: int, count: int = 8):
        rng = np.random.default_rng(seed)
        self.items = iter([{"image": rng.normal(0, 1, (1, 1, SIZE, SIZE)).astype(np.float32)} for _ in range(count)])

    def get_next(self):
        return next(self.items, None)


def calibrate_head(model: onnx.ModelProto, target_std: float = 1.5) -> onnx.ModelProto:
    """Scales the classifier so its logits on calibration images spread like a trained head's
    (standard deviation about 1.5). Random weights otherwise give logits of ±20, where one int8
    step of the logit quantisation moves a score by more than the 0.02 the test allows, and the
    comparison would measure the random head rather than the runtime."""
    import onnxruntime as ort

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    probe.graph.output.append(helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, None]))
    session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(11)
    logits = np.concatenate([session.run(["logits"], {"image": rng.normal(0, 1, (1, 1, SIZE, SIZE)).astype(np.float32)})[0] for _ in range(4)])
    factor = target_std / max(float(logits.std()), 1e-6)
    for tensor in model.graph.initializer:
        if tensor.name in ("fc.w", "fc.b"):
            tensor.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor) * np.float32(factor), tensor.name))
    return model


def main() -> None:
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, make in [("resnet-style", resnet), ("mobilenetv2-style", mobilenet), ("unet-style", unet)]:
        float_path = os.path.join(out, name + ".float.onnx")
        onnx.save(calibrate_head(make()), float_path)
        quantize_static(float_path, os.path.join(out, name + ".onnx"), Calibration(7), quant_format=QuantFormat.QDQ,
                        per_channel=True, activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
        print(f"wrote {os.path.join(out, name + '.onnx')}")


if __name__ == "__main__":
    main()
