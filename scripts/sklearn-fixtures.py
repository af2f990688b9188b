#!/usr/bin/python3
"""Fixtures for the exact solvers' parity tests (tests/Runtime.Tests/Training/LbfgsParityTests.cs, FashionMnistParityTests.cs).

Fits scikit-learn's LogisticRegression (lbfgs, multinomial) to a tight tolerance on Iris and on a synthetic 20-class
set with correlated features, for C in {0.01, 1, 100} and, where the minimum is finite, no penalty, and at C = 1 with
sample weights (0.5 to 3 per row) and with class_weight="balanced" (the per-row weights it implies are written out), and writes the
data (as integers with a scale, so C# and numpy see the same float32 values), the coefficients, the intercepts, the
objective (sum of cross-entropies + ||W||^2 / (2C)) and the predictions at scikit-learn's answer polished by
Newton's method in float64 to the exact minimum (scikit-learn's own objective is kept beside it) to tests/Runtime.Tests/Fixtures/sklearn.json.
CI needs no Python: the file is committed. Debian: apt-get install python3-sklearn; run /usr/bin/python3 scripts/sklearn-fixtures.py

The first 5,000 training rows of Fashion-MNIST (pixels / 255, from $GENSOFTMAX_FASHION_MNIST or /usr/share/datasets/fashion-mnist,
which the tests read too) are fitted for C in {0.01, 1, 100}; too large for the dense Newton polish above, scikit-learn's answer is
polished by scipy's trust-region Newton-CG with exact Hessian-vector products in float64. Each fit's W and b go to
Fixtures/fmnist5000-c<C>.npy as float64 [10, 785] (b the last column), the rest to Fixtures/sklearn-fmnist5000.json: objectives,
iterations, predictions and the rows that are near-ties (top-two logit margin below 1e-3).
"""
import gzip
import json
import os
import sys

import numpy as np
import sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression


def objective(X, y, W, b, C, sw=None):
    logits = X @ W.T + b
    m = logits.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    ce = ((lse - logits[np.arange(len(y)), y]) * (1.0 if sw is None else sw)).sum()
    return ce + (0.0 if C is None else (W * W).sum() / (2 * C))


def polish(X, y, W, b, C, steps=30, sw=None):
    """Newton's method in float64 from scikit-learn's answer to the exact minimum of the same objective. The bias (and,
    without a penalty, each feature's weights) is defined up to a constant shared by the classes: the pseudo-inverse
    takes the step of least norm, so that constant stays where scikit-learn left it."""
    n, d = X.shape
    q = W.shape[0]
    Z = np.hstack([X, np.ones((n, 1))])
    theta = np.hstack([W, b[:, None]])  # [q, d + 1]
    Y = np.eye(q)[y]
    s = np.ones(n) if sw is None else sw
    for _ in range(steps):
        logits = Z @ theta.T
        P = np.exp(logits - logits.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        G = ((P - Y) * s[:, None]).T @ Z
        if C is not None:
            G[:, :d] += theta[:, :d] / C
        H = np.zeros((q * (d + 1), q * (d + 1)))
        for i in range(q):
            for j in range(q):
                w = s * P[:, i] * ((i == j) - P[:, j])
                H[i * (d + 1):(i + 1) * (d + 1), j * (d + 1):(j + 1) * (d + 1)] = (Z * w[:, None]).T @ Z
        if C is not None:
            for i in range(q):
                H[i * (d + 1) + np.arange(d), i * (d + 1) + np.arange(d)] += 1.0 / C
        step = np.linalg.pinv(H, rcond=1e-13) @ G.ravel()
        theta = theta - step.reshape(q, d + 1)
        if np.abs(G).max() < 1e-12:
            break
    return theta[:, :d], theta[:, d], np.abs(G).max()


def fit(X, y, C, weighting=None):
    """weighting: None, "balanced" (class_weight) or "sample" (sample weights 0.5, 1, 2 or 3, fixed per row)."""
    sw = None
    kwargs = {}
    if weighting == "sample":
        sw = np.asarray([(0.5, 1.0, 2.0, 3.0)[(i * 7 + 3) % 4] for i in range(len(y))], dtype=np.float64)  # every class keeps weight
    elif weighting == "balanced":
        kwargs["class_weight"] = "balanced"
        counts = np.bincount(y)
        present = (counts > 0).sum()
        sw = (len(y) / (present * counts.astype(np.float64)))[y].astype(np.float32).astype(np.float64)
    model = LogisticRegression(C=C if C is not None else 1.0, penalty="l2" if C is not None else None,
                               tol=1e-10, max_iter=100000, multi_class="multinomial", solver="lbfgs", **kwargs)
    model.fit(X, y, sample_weight=sw if weighting == "sample" else None)
    W, b, gradient = polish(X, y, model.coef_, model.intercept_, C, sw=sw)
    logits = X @ W.T + b
    top2 = np.sort(logits, axis=1)[:, -2:]
    return {
        "c": C,
        "weighting": weighting,
        "weights": None if sw is None else sw.tolist(),
        "coef": W.ravel().tolist(),
        "intercept": b.tolist(),
        "objective": objective(X, y, W, b, C, sw),
        "sklearn_objective": objective(X, y, model.coef_, model.intercept_, C, sw),
        "gradient": gradient,
        "iterations": int(model.n_iter_[0]),
        "predictions": model.predict(X).tolist(),
        "margins": (top2[:, 1] - top2[:, 0]).tolist(),
    }


def dataset(name, ints, scale, y, cs):
    X = (np.asarray(ints, dtype=np.float64) / scale).astype(np.float32).astype(np.float64)
    return {
        "name": name,
        "rows": int(X.shape[0]),
        "inputs": int(X.shape[1]),
        "classes": int(y.max() + 1),
        "scale": scale,
        "x": np.asarray(ints, dtype=np.int64).ravel().tolist(),
        "y": y.tolist(),
        "fits": [fit(X, y, c) for c in cs] + [fit(X, y, 1.0, w) for w in ("sample", "balanced")],
    }


def fashion_mnist_slice(rows=5000):
    directory = os.environ.get("GENSOFTMAX_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")

    def idx(name):
        with gzip.open(os.path.join(directory, name + ".gz")) as f:
            data = f.read()
        dims = data[3]
        shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
        return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)

    X = idx("train-images-idx3-ubyte")[:rows].reshape(rows, -1).astype(np.float64) / 255.0
    y = idx("train-labels-idx1-ubyte")[:rows].astype(np.int64)
    return X, y


def polish_cg(X, y, W, b, C):
    """scipy's trust-region Newton-CG from scikit-learn's answer, with the exact gradient and Hessian-vector products."""
    from scipy.optimize import minimize
    n, d = X.shape
    q = W.shape[0]
    Y = np.eye(q)[y]

    def unpack(theta):
        t = theta.reshape(q, d + 1)
        return t[:, :d], t[:, d]

    def probabilities(theta):
        Wt, bt = unpack(theta)
        logits = X @ Wt.T + bt
        P = np.exp(logits - logits.max(axis=1, keepdims=True))
        return P / P.sum(axis=1, keepdims=True)

    def fun(theta):
        Wt, bt = unpack(theta)
        return objective(X, y, Wt, bt, C)

    def grad(theta):
        Wt, _ = unpack(theta)
        R = probabilities(theta) - Y
        return np.hstack([R.T @ X + Wt / C, R.sum(axis=0)[:, None]]).ravel()

    def hessp(theta, v):
        P = probabilities(theta)
        Vw, vb = unpack(v)
        Z = X @ Vw.T + vb
        R = P * Z - P * (P * Z).sum(axis=1, keepdims=True)
        return np.hstack([R.T @ X + Vw / C, R.sum(axis=0)[:, None]]).ravel()

    theta0 = np.hstack([W, b[:, None]]).ravel()
    result = minimize(fun, theta0, jac=grad, hessp=hessp, method="trust-ncg", options={"gtol": 1e-9, "maxiter": 500})
    Wp, bp = unpack(result.x)
    return Wp.copy(), bp.copy(), np.abs(grad(result.x)).max()


def fashion_mnist_fixtures(fixtures):
    X, y = fashion_mnist_slice()
    fits = []
    for C in (0.01, 1.0, 100.0):
        model = LogisticRegression(C=C, tol=1e-10, max_iter=20000, multi_class="multinomial", solver="lbfgs")
        model.fit(X, y)
        W, b, gradient = polish_cg(X, y, model.coef_, model.intercept_, C)
        logits = X @ W.T + b
        top2 = np.sort(logits, axis=1)[:, -2:]
        margins = top2[:, 1] - top2[:, 0]
        np.save(os.path.join(fixtures, f"fmnist5000-c{C:g}.npy"), np.hstack([W, b[:, None]]).astype(np.float64))
        fits.append({
            "c": C,
            "coefficients": f"fmnist5000-c{C:g}.npy",
            "objective": objective(X, y, W, b, C),
            "sklearn_objective": objective(X, y, model.coef_, model.intercept_, C),
            "gradient": gradient,
            "iterations": int(model.n_iter_[0]),
            "predictions": model.predict(X).tolist(),
            "near_ties": np.nonzero(margins < 1e-3)[0].tolist(),
        })
        print("fmnist5000", C, fits[-1]["objective"], fits[-1]["sklearn_objective"], gradient, fits[-1]["iterations"])
    out = {
        "generator": f"scripts/sklearn-fixtures.py, scikit-learn {sklearn.__version__}, numpy {np.__version__}",
        "rows": int(X.shape[0]),
        "fits": fits,
    }
    with open(os.path.join(fixtures, "sklearn-fmnist5000.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))


def main():
    iris = load_iris()
    iris_ints = np.rint(iris.data * 10).astype(np.int64)
    rng = np.random.default_rng(20261204)
    rows, inputs, classes = 1000, 12, 20
    base = rng.integers(-1000, 1001, size=(rows, inputs))
    mixed = base.copy()
    mixed[:, 1:] += base[:, :-1] // 2  # neighbouring features correlated
    true_w = rng.normal(0, 1, size=(classes, inputs))
    X = mixed / 250.0
    noisy = X @ true_w.T + rng.gumbel(size=(rows, classes)) * 2.0
    y = noisy.argmax(axis=1)
    out = {
        "generator": f"scripts/sklearn-fixtures.py, scikit-learn {sklearn.__version__}, numpy {np.__version__}",
        "sets": [dataset("iris", iris_ints, 10, iris.target, [0.01, 1.0, 100.0]),
                 dataset("synthetic20", mixed, 250, y, [0.01, 1.0, 100.0, None])],
    }
    fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "Runtime.Tests", "Fixtures")
    if "--fmnist-only" in sys.argv:
        return fashion_mnist_fixtures(fixtures)
    path = os.path.join(fixtures, "sklearn.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"wrote {path}")
    for s in out["sets"]:
        for fit_ in s["fits"]:
            print(s["name"], fit_["c"], fit_["weighting"], fit_["objective"], fit_["sklearn_objective"], fit_["gradient"], fit_["iterations"])
    fashion_mnist_fixtures(fixtures)


if __name__ == "__main__":
    sys.exit(main())
