import json, numpy as np
from sklearn.linear_model import LogisticRegression
s = json.load(open("/work/main/tests/Runtime.Tests/Fixtures/sklearn.json"))["sets"][0]
X = (np.array(s["x"]).reshape(-1, 4) / 10.0).astype(np.float32).astype(np.float64); y = np.array(s["y"])
splits = json.load(open("/tmp/iris/splits.json"))
acc = []
for o in splits:
    tr, te = o[:120], o[120:]
    m = LogisticRegression().fit(X[tr], y[tr])
    acc.append((m.predict(X[te]) == y[te]).mean())
print("sklearn LogisticRegression() defaults, same splits:", [round(a, 3) for a in acc], "mean", round(float(np.mean(acc)), 3))
