#!/usr/bin/python3
"""scikit-learn's LogisticRegression(lbfgs, multinomial) on Fashion-MNIST (60,000 x 784, pixels / 255), timed.

Usage: /usr/bin/python3 bench/solver/sklearn-fmnist.py C MAX_ITER [THREADS]
Prints the fit's wall time, iterations, objective (sum of cross-entropies + ||W||^2 / (2C), the exact solver's) and
test accuracy. THREADS sets OPENBLAS_NUM_THREADS/OMP_NUM_THREADS (set before numpy loads). Debian: apt-get install
python3-sklearn libopenblas0-pthread (numpy then uses OpenBLAS, as users' installs do).
"""
import gzip
import os
import sys
import time

threads = sys.argv[3] if len(sys.argv) > 3 else "2"
os.environ["OPENBLAS_NUM_THREADS"] = threads
os.environ["OMP_NUM_THREADS"] = threads

import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
import warnings  # noqa: E402
warnings.filterwarnings("ignore")

DIR = os.environ.get("GENSOFTMAX_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")


def idx(name):
    with gzip.open(os.path.join(DIR, name + ".gz")) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


X = idx("train-images-idx3-ubyte").reshape(60000, -1).astype(np.float64) / 255.0
y = idx("train-labels-idx1-ubyte").astype(np.int64)
Xt = idx("t10k-images-idx3-ubyte").reshape(10000, -1).astype(np.float64) / 255.0
yt = idx("t10k-labels-idx1-ubyte").astype(np.int64)
C = float(sys.argv[1])
max_iter = int(sys.argv[2])
model = LogisticRegression(C=C, max_iter=max_iter, multi_class="multinomial", solver="lbfgs")
start = time.perf_counter()
model.fit(X, y)
seconds = time.perf_counter() - start
W, b = model.coef_, model.intercept_
logits = X @ W.T + b
m = logits.max(axis=1, keepdims=True)
lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
objective = (lse - logits[np.arange(len(y)), y]).sum() + (W * W).sum() / (2 * C)
print(f"sklearn C={C} max_iter={max_iter} threads={threads}: {seconds:.2f} s, {model.n_iter_[0]} iterations, "
      f"objective {objective!r}, test accuracy {model.score(Xt, yt):.4f}")
