"""Static int8 QDQ quantisation with ONNX Runtime's quantizer, calibrated on phantoms.

Weights: int8, per output channel, symmetric (XNNPACK's qc8 path). Activations: int8,
asymmetric, ranges from min/max calibration. The Relu after each Conv is folded into the
Conv's output range by the quantizer (it is removable in QDQ form).
"""

from __future__ import annotations

import numpy as np
import onnx
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)

from export_onnx import INPUT_NAME

SETTINGS = {
    "format": "QDQ",
    "weights": "int8, per-channel (per output channel), symmetric",
    "activations": "int8, per-tensor, asymmetric",
    "calibration": "min/max over calibration phantoms",
}


class PhantomReader(CalibrationDataReader):
    def __init__(self, inputs: np.ndarray):
        self.inputs = inputs
        self.position = 0

    def get_next(self):
        if self.position >= len(self.inputs):
            return None
        x = self.inputs[self.position].astype(np.float32)[None, None]
        self.position += 1
        return {INPUT_NAME: x}

    def rewind(self):
        self.position = 0


def quantise(float_path: str, int8_path: str, calibration_inputs: np.ndarray) -> onnx.ModelProto:
    quantize_static(
        float_path, int8_path, PhantomReader(calibration_inputs),
        quant_format=QuantFormat.QDQ, per_channel=True,
        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
        extra_options={"ActivationSymmetric": False, "WeightSymmetric": True},
    )
    return onnx.load(int8_path)
