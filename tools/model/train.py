"""Trains the demo network on phantoms with JAX on the CPU (Adam, written out here)."""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np

from network import BACKBONE, HEAD, HEATMAP_SIZE, LOGIT_LIMIT, init_parameters, padding

# Targets are squeezed into [SMOOTHING, 1 - SMOOTHING] (label smoothing): the best logit for a
# certain case is then ±log((1-s)/s) ≈ ±3.9, inside the ±LOGIT_LIMIT the export clips to, so the
# network learns logits that fit a small int8 range instead of growing them without bound.
SMOOTHING = 0.02
assert np.log((1 - SMOOTHING) / SMOOTHING) < LOGIT_LIMIT


def depthwise(x, weight, stride):
    """A depthwise convolution as a sum of shifted products: XLA fuses these into a few loops,
    where its grouped convolution (and its gradient) ran about 3 times slower on the CPU."""
    k = weight.shape[2]
    pad = padding(k)
    x = jnp.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    rows = (x.shape[1] - k) // stride + 1
    cols = (x.shape[2] - k) // stride + 1
    y = 0
    for ky in range(k):
        for kx in range(k):
            window = x[:, ky:ky + stride * (rows - 1) + 1:stride, kx:kx + stride * (cols - 1) + 1:stride, :]
            y = y + window * weight[:, 0, ky, kx]
    return y


def conv(x, weight, bias, stride, groups=1):
    """NHWC activations, OIHW weights (as ONNX stores them), padding as network.padding says."""
    if groups > 1 and groups == x.shape[-1] == weight.shape[0]:
        return depthwise(x, weight, stride) + bias
    pad = padding(weight.shape[2])
    y = jax.lax.conv_general_dilated(
        x, weight, window_strides=(stride, stride), padding=((pad, pad), (pad, pad)),
        dimension_numbers=("NHWC", "OIHW", "NHWC"), feature_group_count=groups,
    )
    return y + bias


FINDING_LOSS_WEIGHTS = (2.0, 1.0, 1.0)


def forward(params, images):
    """images: N×H×W×1 float32 → (finding logits N×3, heat logits N×16×16×3)."""
    x = images
    for name, _, _, _, stride, groups in BACKBONE:
        x = jax.nn.relu(conv(x, params[name + ".weight"], params[name + ".bias"], stride, groups))
    features = x
    h = jax.nn.relu(conv(features, params["heat1.weight"], params["heat1.bias"], 1))
    heat_logits = conv(h, params["heat2.weight"], params["heat2.bias"], 1)
    pooled = jnp.mean(features, axis=(1, 2))
    peak = jnp.max(heat_logits, axis=(1, 2))
    z = jnp.concatenate([pooled, peak], axis=1)
    logits = z @ params["classifier.weight"].T + params["classifier.bias"]
    return logits, heat_logits


def bce(logits, targets):
    return jnp.maximum(logits, 0) - logits * targets + jnp.log1p(jnp.exp(-jnp.abs(logits)))


def smooth(targets):
    return SMOOTHING + (1 - 2 * SMOOTHING) * targets


def loss_fn(params, images, labels, heat):
    logits, heat_logits = forward(params, images)
    labels = smooth(labels)
    # Nodules are the hardest finding (a few pixels across); they count double.
    finding_loss = jnp.mean(bce(logits, labels) * jnp.asarray(FINDING_LOSS_WEIGHTS))
    heat_t = jnp.transpose(heat, (0, 2, 3, 1))
    # Lesion cells are rare: weight them up so the map does not learn "all empty".
    weights = 1.0 + 9.0 * heat_t
    heat_loss = jnp.sum(weights * bce(heat_logits, smooth(heat_t))) / jnp.sum(weights)
    return finding_loss + 2.0 * heat_loss, (finding_loss, heat_loss)


def adam_update(params, grads, state, step, lr, b1=0.9, b2=0.999, eps=1e-8, decay=1e-5):
    m, v = state
    m = jax.tree.map(lambda a, g: b1 * a + (1 - b1) * g, m, grads)
    v = jax.tree.map(lambda a, g: b2 * a + (1 - b2) * g * g, v, grads)
    mhat_scale = 1.0 / (1 - b1 ** step)
    vhat_scale = 1.0 / (1 - b2 ** step)
    params = jax.tree.map(
        lambda p, a, b: p - lr * (a * mhat_scale / (jnp.sqrt(b * vhat_scale) + eps) + decay * p),
        params, m, v,
    )
    return params, (m, v)


@jax.jit
def train_step(params, state, step, lr, images, labels, heat):
    (loss, parts), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, images, labels, heat)
    params, state = adam_update(params, grads, state, step, lr)
    return params, state, loss, parts


@jax.jit
def predict(params, images):
    logits, heat_logits = forward(params, images)
    logits = jnp.clip(logits, -LOGIT_LIMIT, LOGIT_LIMIT)  # as the exported graph does
    heat_logits = jnp.clip(heat_logits, -LOGIT_LIMIT, LOGIT_LIMIT)
    return jax.nn.sigmoid(logits), jax.nn.sigmoid(jnp.transpose(heat_logits, (0, 3, 1, 2)))


def train(data, steps: int, batch: int, seed: int, log=print, time_budget_s: float | None = None):
    """Returns trained parameters as float32 numpy arrays (OIHW weights)."""
    rng = np.random.default_rng(seed)
    params = {k: jnp.asarray(v) for k, v in init_parameters(seed).items()}
    state = (jax.tree.map(jnp.zeros_like, params), jax.tree.map(jnp.zeros_like, params))
    count = data["inputs"].shape[0]
    base_lr, warmup = 2e-3, 100
    started = time.time()
    for step in range(1, steps + 1):
        index = rng.integers(0, count, batch)
        images = jnp.asarray(data["inputs"][index].astype(np.float32)[..., None])
        # Progress is by steps or by the time budget, whichever is further along, so a slow or
        # busy machine still anneals the learning rate fully before the budget ends.
        progress = step / steps
        if time_budget_s is not None:
            progress = max(progress, (time.time() - started) / time_budget_s)
        progress = min(progress, 1.0)
        lr = base_lr * min(1.0, step / warmup) * 0.5 * (1 + np.cos(np.pi * progress))
        params, state, loss, (fl, hl) = train_step(
            params, state, jnp.float32(step), jnp.float32(lr), images,
            jnp.asarray(data["labels"][index]), jnp.asarray(data["heat"][index]),
        )
        if step % 50 == 0 or step == 1:
            elapsed = time.time() - started
            log(f"step {step}/{steps} loss {float(loss):.4f} (findings {float(fl):.4f}, heat map {float(hl):.4f}) lr {lr:.2e} {elapsed:.0f}s")
        if progress >= 1.0 and step < steps:
            log(f"stopping at step {step}: time budget of {time_budget_s:.0f}s used")
            break
    return {k: np.asarray(v, np.float32) for k, v in params.items()}, step


def predict_numpy(params, inputs: np.ndarray, batch: int = 64):
    """inputs N×H×W (float16/32) → (findings N×3, heatmap N×3×16×16)."""
    jparams = {k: jnp.asarray(v) for k, v in params.items()}
    findings, heat = [], []
    for start in range(0, inputs.shape[0], batch):
        images = jnp.asarray(inputs[start:start + batch].astype(np.float32)[..., None])
        f, h = predict(jparams, images)
        findings.append(np.asarray(f))
        heat.append(np.asarray(h))
    return np.concatenate(findings), np.concatenate(heat)


assert HEATMAP_SIZE == 16
