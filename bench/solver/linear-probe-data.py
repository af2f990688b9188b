#!/usr/bin/python3
"""A linear-probe-shaped problem from a known generating model, written as .npy for the exact-solver bench and for scikit-learn.

Usage: /usr/bin/python3 bench/solver/linear-probe-data.py OUT_DIR [ROWS] [INPUTS] [CLASSES]   (default 100000 768 100)

Features like frozen embeddings: x = z A + e, z ~ N(0, I_64) (a 64-dimensional signal), A [64, INPUTS] ~ N(0, 1/64),
e ~ N(0, 0.5^2) per feature, float32. Labels from a true softmax model: y ~ softmax(x W*^T + b*) (sampled with Gumbel noise),
W* ~ N(0, 3^2 / INPUTS), b* ~ N(0, 1), then 5% of the labels replaced by a uniformly random class (label noise). The same
model gives 10,000 test rows. Deterministic: numpy's default_rng(20261205) in a fixed order. Writes train-features.npy,
train-labels.npy (int64), test-features.npy, test-labels.npy and true-weights.npy (float64 [CLASSES, INPUTS + 1], b* last).
"""
import os
import sys

import numpy as np

out = sys.argv[1]
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
inputs = int(sys.argv[3]) if len(sys.argv) > 3 else 768
classes = int(sys.argv[4]) if len(sys.argv) > 4 else 100
test_rows = 10000
rng = np.random.default_rng(20261205)
A = rng.normal(0, 1 / 8, size=(64, inputs))
W = rng.normal(0, 3 / np.sqrt(inputs), size=(classes, inputs))
b = rng.normal(0, 1, size=classes)


def sample(n):
    x = (rng.normal(size=(n, 64)) @ A + rng.normal(0, 0.5, size=(n, inputs))).astype(np.float32)
    logits = x.astype(np.float64) @ W.T + b
    y = (logits + rng.gumbel(size=(n, classes))).argmax(axis=1)
    flip = rng.random(n) < 0.05
    y[flip] = rng.integers(0, classes, size=int(flip.sum()))
    return x, y.astype(np.int64)


os.makedirs(out, exist_ok=True)
for name, n in (("train", rows), ("test", test_rows)):
    x, y = sample(n)
    np.save(os.path.join(out, f"{name}-features.npy"), x)
    np.save(os.path.join(out, f"{name}-labels.npy"), y)
np.save(os.path.join(out, "true-weights.npy"), np.hstack([W, b[:, None]]))
print(f"wrote {rows} + {test_rows} rows x {inputs} features, {classes} classes to {out}")
