"""Held-out evaluation with ONNX Runtime: AUROC per finding and the localisation hit rate."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort

from export_onnx import FINDINGS_OUTPUT, HEATMAP_OUTPUT, INPUT_NAME
from phantoms import FINDINGS


def session(path: str, threads: int = 2) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def run(sess: ort.InferenceSession, inputs: np.ndarray):
    findings, heat = [], []
    for x in inputs:
        f, h = sess.run([FINDINGS_OUTPUT, HEATMAP_OUTPUT], {INPUT_NAME: x.astype(np.float32)[None, None]})
        findings.append(f[0])
        heat.append(h[0])
    return np.stack(findings), np.stack(heat)


def auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mann-Whitney U form, ties given half credit."""
    positives, negatives = scores[labels == 1], scores[labels == 0]
    if len(positives) == 0 or len(negatives) == 0:
        return float("nan")
    greater = (positives[:, None] > negatives[None, :]).sum()
    ties = (positives[:, None] == negatives[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(positives) * len(negatives)))


def dilate(cells: np.ndarray) -> np.ndarray:
    out = cells.copy()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            out |= np.roll(np.roll(cells, dy, 0), dx, 1)
    return out


def localisation_hits(heat: np.ndarray, cells: np.ndarray, labels: np.ndarray):
    """Per finding: over held-out images that have it, how often the heat map's peak cell lies
    on the lesion or in a cell next to it (one 16-pixel cell of tolerance)."""
    hits = {}
    for index, finding in enumerate(FINDINGS):
        positives = np.nonzero(labels[:, index] == 1)[0]
        hit = 0
        for n in positives:
            peak = np.unravel_index(np.argmax(heat[n, index]), heat.shape[2:])
            hit += bool(dilate(cells[n, index].astype(bool))[peak])
        hits[finding] = (hit, len(positives))
    return hits


def metrics(findings: np.ndarray, heat: np.ndarray, data: dict, thresholds: dict[str, float]) -> dict:
    labels, cells = data["labels"], data["cells"]
    out = {"count": int(len(labels)), "findings": {}}
    hits = localisation_hits(heat, cells, labels)
    for index, finding in enumerate(FINDINGS):
        y, s = labels[:, index], findings[:, index]
        flagged = s >= thresholds[finding]
        tp = int((flagged & (y == 1)).sum())
        tn = int((~flagged & (y == 0)).sum())
        out["findings"][finding] = {
            "positives": int(y.sum()),
            "auroc": auroc(s, y),
            "sensitivity": tp / max(1, int(y.sum())),
            "specificity": tn / max(1, int((y == 0).sum())),
            "localisationHits": hits[finding][0],
            "localisationCases": hits[finding][1],
            "localisationHitRate": hits[finding][0] / max(1, hits[finding][1]),
        }
    total_hits = sum(h for h, _ in hits.values())
    total_cases = sum(c for _, c in hits.values())
    out["localisationHitRate"] = total_hits / max(1, total_cases)
    return out


def choose_thresholds(findings: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Per finding, the threshold maximising Youden's J on the tuning set (rounded to 0.05)."""
    out = {}
    for index, finding in enumerate(FINDINGS):
        best, best_j = 0.5, -1.0
        for t in np.arange(0.05, 0.951, 0.05):
            flagged = findings[:, index] >= t
            y = labels[:, index] == 1
            j = (flagged & y).sum() / max(1, y.sum()) + (~flagged & ~y).sum() / max(1, (~y).sum()) - 1
            if j > best_j + 1e-9:
                best, best_j = float(round(t, 2)), j
        out[finding] = best
    return out
