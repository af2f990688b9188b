#!/usr/bin/python3
"""scikit-learn on the linear-probe data of bench/solver/linear-probe-data.py, timed.

Usage: /usr/bin/python3 bench/solver/sklearn-probe.py DIR C MAX_ITER [THREADS]   LogisticRegression(C, lbfgs, multinomial)
       /usr/bin/python3 bench/solver/sklearn-probe.py DIR cv MAX_ITER [THREADS]  LogisticRegressionCV on GenSoftmax's C grid
Prints the fit's wall time, iterations, objective (sum of cross-entropies + ||W||^2 / (2C), the exact solver's) and test
accuracy. The cv run is LbfgsSolver.SearchC's search: the ten C of np.logspace(-4, 4, 10) (its default grid, and
LogisticRegressionCV's), judged by the held-out log loss on one split holding out a fifth of the rows (ShuffleSplit), then a
refit on every row with the best C. THREADS sets OPENBLAS_NUM_THREADS/OMP_NUM_THREADS (default 2).
"""
import os
import sys
import time

threads = sys.argv[4] if len(sys.argv) > 4 else "2"
os.environ["OPENBLAS_NUM_THREADS"] = threads
os.environ["OMP_NUM_THREADS"] = threads

import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV  # noqa: E402
from sklearn.model_selection import ShuffleSplit  # noqa: E402
import warnings  # noqa: E402
warnings.filterwarnings("ignore")

directory, mode, max_iter = sys.argv[1], sys.argv[2], int(sys.argv[3])
X = np.load(os.path.join(directory, "train-features.npy")).astype(np.float64)
y = np.load(os.path.join(directory, "train-labels.npy"))
Xt = np.load(os.path.join(directory, "test-features.npy")).astype(np.float64)
yt = np.load(os.path.join(directory, "test-labels.npy"))
if mode == "cv":
    model = LogisticRegressionCV(Cs=np.logspace(-4, 4, 10), cv=ShuffleSplit(n_splits=1, test_size=0.2, random_state=42),
                                 scoring="neg_log_loss", max_iter=max_iter, multi_class="multinomial", solver="lbfgs")
else:
    model = LogisticRegression(C=float(mode), max_iter=max_iter, multi_class="multinomial", solver="lbfgs")
start = time.perf_counter()
model.fit(X, y)
seconds = time.perf_counter() - start
C = model.C_[0] if mode == "cv" else float(mode)
W, b = model.coef_, model.intercept_
logits = X @ W.T + b
m = logits.max(axis=1, keepdims=True)
lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
objective = (lse - logits[np.arange(len(y)), y]).sum() + (W * W).sum() / (2 * C)
iterations = int(np.max(model.n_iter_))
print(f"sklearn {'LogisticRegressionCV' if mode == 'cv' else 'LogisticRegression'} C={C} max_iter={max_iter} threads={threads}: "
      f"{seconds:.2f} s, {iterations} iterations (most of any fit), objective {objective!r}, test accuracy {np.mean(model.predict(Xt) == yt):.4f}")  # LogisticRegressionCV.score is its scorer's
