"""The model's input pre-processing, exactly as the package manifest states it.

Any raster the box decodes (8 to 16 bit, MONOCHROME1 already inverted to MONOCHROME2):
1. resize to the input size by area averaging ("area": each output pixel is the mean of the
   source pixels it covers, partial pixels weighted by the covered fraction);
2. window by percentiles of the resized image: low = sorted[floor(p_low/100 * (n-1))],
   high = sorted[floor(p_high/100 * (n-1))]; x = clip((v - low) / (high - low), 0, 1)
   (x = 0 everywhere when high == low);
3. normalise: (x - mean) / std;
4. as float32, NCHW 1×1×H×W.

The Swift pre-processing (later work in Sources/Inference) implements the same steps; the
package's reference inputs are this function's output.
"""

from __future__ import annotations

import numpy as np

INPUT_SIZE = 256
WINDOW_LOW_PERCENTILE = 0.5
WINDOW_HIGH_PERCENTILE = 99.5
NORMALISATION_MEAN = 0.5
NORMALISATION_STD = 0.25


def area_weights(source: int, target: int) -> np.ndarray:
    """target×source matrix: row i averages the source span [i*s/t, (i+1)*s/t)."""
    scale = source / target
    weights = np.zeros((target, source), dtype=np.float64)
    for i in range(target):
        start, end = i * scale, (i + 1) * scale
        first, last = int(np.floor(start)), int(np.ceil(end))
        for j in range(first, min(last, source)):
            overlap = min(end, j + 1) - max(start, j)
            if overlap > 0:
                weights[i, j] = overlap / scale
    return weights


def resize_area(image: np.ndarray, height: int, width: int) -> np.ndarray:
    rows = area_weights(image.shape[0], height)
    cols = area_weights(image.shape[1], width)
    return rows @ image.astype(np.float64) @ cols.T


def window(image: np.ndarray, low_percentile=WINDOW_LOW_PERCENTILE, high_percentile=WINDOW_HIGH_PERCENTILE) -> np.ndarray:
    ordered = np.sort(image, axis=None)
    n = ordered.size
    low = ordered[int(np.floor(low_percentile / 100 * (n - 1)))]
    high = ordered[int(np.floor(high_percentile / 100 * (n - 1)))]
    if high <= low:
        return np.zeros_like(image, dtype=np.float64)
    return np.clip((image - low) / (high - low), 0.0, 1.0)


def preprocess(image: np.ndarray, size: int = INPUT_SIZE) -> np.ndarray:
    """A 2-D raster (MONOCHROME2, any bit depth) → float32 1×1×size×size model input."""
    resized = image if image.shape == (size, size) else resize_area(image, size, size)
    x = (window(resized) - NORMALISATION_MEAN) / NORMALISATION_STD
    return x.astype(np.float32)[None, None]


def manifest_input_spec() -> dict:
    """The manifest's description of the steps above."""
    return {
        "name": "image",
        "layout": "NCHW",
        "shape": [1, 1, INPUT_SIZE, INPUT_SIZE],
        "dataType": "float32",
        "photometricInterpretation": "MONOCHROME2",
        "resize": {"width": INPUT_SIZE, "height": INPUT_SIZE, "method": "area", "aspect": "stretch"},
        "windowing": {"method": "percentile", "low": WINDOW_LOW_PERCENTILE, "high": WINDOW_HIGH_PERCENTILE},
        "normalisation": {"mean": NORMALISATION_MEAN, "std": NORMALISATION_STD},
    }
