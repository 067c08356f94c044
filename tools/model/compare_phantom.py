"""Compares the training phantoms' normal anatomy with the box's own demo study.

Writes `fluorobox demo-study` (the Swift ChestPhantom as a DICOM DX), takes its pixels, and
renders tools/model/phantoms.py with no random spread at the same size. The two differ only
in their noise (independent draws of the same uniform ±40) and the Swift phantom's small
seeded shift, so the mean absolute difference should be close to that of two noise fields
(80/3 ≈ 26.7) and the correlation close to 1.

Usage: python tools/model/compare_phantom.py --fluorobox .build/debug/fluorobox [--size 512]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from phantoms import swift_phantom  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fluorobox", required=True)
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "demo.dcm")
        subprocess.run([args.fluorobox, "demo-study", "--size", str(args.size), "--out", path], check=True, capture_output=True)
        data = open(path, "rb").read()
    # Pixel Data is the last element of the uncompressed data set: 16-bit little-endian samples.
    pixels = np.frombuffer(data[-args.size * args.size * 2:], dtype="<u2").reshape(args.size, args.size).astype(np.float64)
    python = swift_phantom(args.size)
    diff = np.abs(pixels - python)
    correlation = float(np.corrcoef(pixels.ravel(), python.ravel())[0, 1])
    print(f"Swift ChestPhantom vs tools/model phantom at {args.size}²: mean |diff| {diff.mean():.1f} "
          f"(two independent noise fields alone: 26.7), 99th percentile {np.percentile(diff, 99):.0f}, correlation {correlation:.4f}")
    return 0 if correlation > 0.98 else 1


if __name__ == "__main__":
    sys.exit(main())
