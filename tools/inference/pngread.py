"""A small PNG reader (zlib + the five scanline filters) for the agreement test's radiographs,
so the tools need nothing beyond numpy. Grey, grey+alpha, RGB and RGBA at 8 or 16 bits; colour
is reduced to its first channel (the NIH images are grey)."""

from __future__ import annotations

import struct
import zlib

import numpy as np

CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}


def read_png(path: str) -> np.ndarray:
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    offset, idat, header = 8, [], None
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        offset += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if colour not in CHANNELS or depth not in (8, 16) or interlace:
        raise ValueError(f"{path}: colour type {colour}, depth {depth}, interlace {interlace} not handled")
    pixel = CHANNELS[colour] * depth // 8
    stride = width * pixel
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8).reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.int32)
    previous = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        if kind == 0:
            row = line
        elif kind == 2:
            row = (line + previous) & 0xFF
        elif kind in (1, 3, 4):
            row = np.zeros(stride, dtype=np.int32)
            for x in range(stride):
                left = row[x - pixel] if x >= pixel else 0
                up = previous[x]
                if kind == 1:
                    predictor = left
                elif kind == 3:
                    predictor = (left + up) >> 1
                else:
                    upper_left = previous[x - pixel] if x >= pixel else 0
                    p = left + up - upper_left
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - upper_left)
                    predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else upper_left)
                row[x] = (line[x] + predictor) & 0xFF
        else:
            raise ValueError(f"{path}: filter {kind}")
        out[y] = row
        previous = row
    samples = out.astype(np.uint8)
    if depth == 16:
        samples = samples.reshape(height, -1, 2)
        values = samples[..., 0].astype(np.uint16) << 8 | samples[..., 1]
    else:
        values = samples
    return values.reshape(height, width, CHANNELS[colour])[..., 0]
