"""Synthetic chest radiograph phantoms with lesions of known position.

The normal anatomy follows the Swift `ChestPhantom` (Sources/Imaging/ChestPhantom.swift): the
same body outline, lung fields, heart, spine, ribs and clavicles, in 12-bit MONOCHROME2 values
(bright = more attenuation), with the Swift phantom's parameters at the centre of a random
spread so the box's demo study looks like the training data. On top of it three findings are
drawn where the generator decides, so their truth is known exactly:

- nodule: a small round opacity inside a lung field;
- consolidation: a patchy, confluent opacity filling part of one lung;
- effusion: fluid at a lung base with a meniscus rising towards the chest wall.

Nothing here is anatomy or pathology; it is a demonstration substrate, not for clinical use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

FINDINGS = ("nodule", "consolidation", "effusion")


def smooth(t):
    c = np.clip(t, 0.0, 1.0)
    return c * c * (3 - 2 * c)


def ellipse_coverage(u, v, cx, cy, rx, ry, edge):
    """1 inside, 0 outside, soft edge of `edge` normalised units (as ChestPhantom.Ellipse)."""
    dx = (u - cx) / rx
    dy = (v - cy) / ry
    distance = np.sqrt(dx * dx + dy * dy)
    return smooth(1 - (distance - 1) * min(rx, ry) / edge - 0.5)


def band(distance, half_width, edge):
    return smooth((half_width - distance) / edge + 0.5)


def ribs(u, v, first=0.22, spacing=0.052, curvature=0.9, half_width=0.009):
    side = np.abs(u - 0.5)
    total = np.zeros_like(u)
    for index in range(9):
        y0 = first + index * spacing
        curve = y0 + curvature * (side - 0.03) ** 2 + 0.02 * side
        total += band(np.abs(v - curve), half_width, 0.004)
    inside = (side > 0.03) & (side < 0.33)
    return np.where(inside, np.minimum(1.0, total), 0.0)


def clavicles(u, v, height=0.17):
    side = np.abs(u - 0.5)
    line = height - 0.12 * (side - 0.04)
    inside = (side > 0.04) & (side < 0.3)
    return np.where(inside, band(np.abs(v - line), 0.008, 0.004), 0.0)


@dataclass
class Lesion:
    finding: str
    side: str  # "right" (image left, patient right) or "left"
    centre: tuple[float, float]  # normalised (u, v)
    mask: np.ndarray = field(repr=False)  # bool, same size as the image


@dataclass
class Phantom:
    image: np.ndarray  # float64 12-bit values, MONOCHROME2
    lesions: list[Lesion]
    lung_mask: np.ndarray

    def labels(self) -> np.ndarray:
        return np.array([any(l.finding == f for l in self.lesions) for f in FINDINGS], dtype=np.float32)

    def masks(self) -> np.ndarray:
        """One boolean mask per finding (union of its lesions)."""
        out = np.zeros((len(FINDINGS),) + self.image.shape, dtype=bool)
        for lesion in self.lesions:
            out[FINDINGS.index(lesion.finding)] |= lesion.mask
        return out


def render(
    size: int,
    rng: np.random.Generator,
    findings: dict[str, bool] | None = None,
    variation: float = 1.0,
) -> Phantom:
    """Renders one phantom at size×size. `findings` says which findings to draw (missing keys
    are drawn at random, each with probability 0.35); `variation` 0 gives the Swift phantom's
    exact anatomy (noise aside)."""
    if findings is None:
        findings = {}
    want = {f: findings.get(f, bool(rng.random() < 0.35)) for f in FINDINGS}
    s = variation

    def jitter(centre, spread):
        return centre + s * rng.uniform(-spread, spread)

    coords = (np.arange(size) + 0.5) / size
    u, v = np.meshgrid(coords, coords)
    shift = jitter(0.0, 0.01)
    lung_rx, lung_ry = jitter(0.14, 0.015), jitter(0.27, 0.025)
    lung_cy = jitter(0.46, 0.02)
    lungs = [
        (jitter(0.32, 0.01) + shift, lung_cy, lung_rx, lung_ry),
        (jitter(0.68, 0.01) + shift, lung_cy, lung_rx, lung_ry),
    ]
    body = (0.5, jitter(0.56, 0.02), jitter(0.43, 0.03), jitter(0.52, 0.03))
    heart_r = jitter(0.13, 0.02)
    heart = (jitter(0.55, 0.015) + shift, jitter(0.60, 0.02), heart_r * jitter(1.0, 0.1), heart_r)

    body_gain = jitter(1700, 250)
    lung_gain = jitter(950, 150)
    value = np.full_like(u, jitter(180, 60))
    value += body_gain * ellipse_coverage(u, v, *body, edge=0.02)
    lung_cover = [ellipse_coverage(u, v, *lung, edge=0.03) for lung in lungs]
    for cover in lung_cover:
        value -= lung_gain * cover
    value += jitter(900, 150) * ellipse_coverage(u, v, *heart, edge=0.03)
    value += jitter(800, 150) * band(np.abs(u - 0.5), 0.028, 0.008) * (v > 0.08)
    value += jitter(420, 120) * ribs(u, v, first=jitter(0.22, 0.015), spacing=jitter(0.052, 0.004))
    value += jitter(600, 150) * clavicles(u, v, height=jitter(0.17, 0.015))
    lung_mask = (lung_cover[0] > 0.5) | (lung_cover[1] > 0.5)

    lesions: list[Lesion] = []
    if want["nodule"]:
        count = 1 + int(rng.random() < 0.25 * s)
        for _ in range(count):
            side = int(rng.integers(2))
            cx, cy, rx, ry = lungs[side]
            # A point well inside the lung field (not hidden in its soft edge).
            for _ in range(100):
                a, r = rng.uniform(0, 2 * np.pi), np.sqrt(rng.uniform(0, 1)) * 0.8
                pu, pv = cx + r * rx * np.cos(a), cy + r * ry * np.sin(a)
                if abs(pu - heart[0]) / heart[2] + abs(pv - heart[1]) / heart[3] > 1.1:
                    break
            radius = rng.uniform(0.016, 0.036)
            cover = ellipse_coverage(u, v, pu, pv, radius, radius * rng.uniform(0.85, 1.15), edge=radius * 0.35)
            value += rng.uniform(300, 600) * cover
            lesions.append(Lesion("nodule", ("right", "left")[side], (pu, pv), cover > 0.5))
    if want["consolidation"]:
        side = int(rng.integers(2))
        cx, cy, rx, ry = lungs[side]
        pu = cx + rng.uniform(-0.4, 0.4) * rx
        pv = cy + rng.uniform(-0.5, 0.45) * ry
        patch = np.zeros_like(u)
        for _ in range(int(rng.integers(4, 8))):
            bu = pu + rng.normal(0, 0.03)
            bv = pv + rng.normal(0, 0.04)
            br = rng.uniform(0.03, 0.06)
            patch = np.maximum(patch, ellipse_coverage(u, v, bu, bv, br, br * rng.uniform(0.8, 1.4), edge=0.025))
        # Confined to the lung; mottled (air bronchograms keep it from being uniform).
        patch *= lung_cover[side]
        mottle = 0.75 + 0.25 * smooth(rng.random(patch.shape) * 1.5)
        value += rng.uniform(300, 600) * patch * mottle
        lesions.append(Lesion("consolidation", ("right", "left")[side], (pu, pv), patch > 0.4))
    if want["effusion"]:
        sides = [int(rng.integers(2))] if rng.random() < 0.75 else [0, 1]
        for side in sides:
            cx, cy, rx, ry = lungs[side]
            base = cy + ry
            height = rng.uniform(0.18, 0.4) * 2 * ry
            # Meniscus: the fluid line rises towards the chest wall (laterally).
            outward = ((cx - u) if side == 0 else (u - cx)) / rx
            line = base - height - 0.07 * np.clip(outward, 0, 1.2) ** 2
            fluid = smooth((v - line) / 0.012 + 0.5)
            fluid *= lung_cover[side]
            value += lung_gain * rng.uniform(0.6, 0.95) * fluid
            lesions.append(Lesion("effusion", ("right", "left")[side], (cx, base - height / 2), fluid > 0.4))

    # Exposure and detector: a global gain, a gentle gradient, blur-free quantum-like noise.
    value *= jitter(1.0, 0.12)
    value += s * rng.uniform(-120, 120) * (v - 0.5)
    amplitude = rng.uniform(5, 45) if s > 0 else 40
    value += rng.uniform(-amplitude, amplitude, size=value.shape)
    image = np.clip(np.round(value), 0, 4095)
    return Phantom(image=image, lesions=lesions, lung_mask=lung_mask)


def swift_phantom(size: int, seed: int = 1) -> np.ndarray:
    """The Swift ChestPhantom's normal anatomy, for comparing the look (noise differs)."""
    return render(size, np.random.default_rng(seed), findings={f: False for f in FINDINGS}, variation=0.0).image
