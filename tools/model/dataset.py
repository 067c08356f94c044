"""Phantom data sets: model inputs, finding labels and coarse heat-map targets.

Training and held-out sets come from disjoint seed ranges, so no held-out phantom was seen in
training. Sets are cached as .npz under the work folder; generation runs in worker processes.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from network import HEATMAP_SIZE
from phantoms import FINDINGS, render
from preprocess import INPUT_SIZE, preprocess

TRAIN_SEED_BASE = 1_000_000
HELDOUT_SEED_BASE = 9_000_000
CALIBRATION_SEED_BASE = 5_000_000


def block_reduce(mask: np.ndarray, cells: int, reduce) -> np.ndarray:
    size = mask.shape[0] // cells
    blocks = mask.reshape(cells, size, cells, size)
    return reduce(blocks, axis=(1, 3))


def heat_targets(masks: np.ndarray) -> np.ndarray:
    """Per finding, 16×16 cells: a nodule marks every cell it touches; an area finding marks a
    cell in proportion to how much of it is covered (full at a quarter)."""
    out = np.zeros((len(FINDINGS), HEATMAP_SIZE, HEATMAP_SIZE), np.float32)
    for index, finding in enumerate(FINDINGS):
        if finding == "nodule":
            out[index] = block_reduce(masks[index], HEATMAP_SIZE, np.max)
        else:
            out[index] = np.clip(block_reduce(masks[index].astype(np.float32), HEATMAP_SIZE, np.mean) / 0.25, 0, 1)
    return out


def lesion_cells(masks: np.ndarray) -> np.ndarray:
    """Per finding, the cells any of its lesions touches (for the localisation hit rate)."""
    return np.stack([block_reduce(m, HEATMAP_SIZE, np.max) for m in masks])


def one(seed: int):
    rng = np.random.default_rng(seed)
    phantom = render(INPUT_SIZE, rng)
    masks = phantom.masks()
    return preprocess(phantom.image)[0, 0].astype(np.float16), phantom.labels(), heat_targets(masks), lesion_cells(masks)


def generate(seed_base: int, count: int, workers: int = 2) -> dict[str, np.ndarray]:
    seeds = range(seed_base, seed_base + count)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(one, seeds, chunksize=64))
    return {
        "inputs": np.stack([p[0] for p in parts]),
        "labels": np.stack([p[1] for p in parts]),
        "heat": np.stack([p[2] for p in parts]),
        "cells": np.stack([p[3] for p in parts]),
    }


def load_or_generate(work: str, name: str, seed_base: int, count: int) -> dict[str, np.ndarray]:
    path = os.path.join(work, f"{name}-{seed_base}-{count}.npz")
    if os.path.exists(path):
        with np.load(path) as data:
            return {key: data[key] for key in data.files}
    data = generate(seed_base, count)
    os.makedirs(work, exist_ok=True)
    np.savez(path + ".tmp.npz", **data)
    os.replace(path + ".tmp.npz", path)
    return data
