#!/usr/bin/env python3
"""Reference values for PyFlare's drift statistics (ingest/src/drift/stats), from scipy/numpy.

Generates cases deterministically (numpy seed 20251), computes the expected results with scipy
and numpy, and writes them to cases.json next to this file. The TypeScript test
ingest/src/drift/stats/reference.test.ts recomputes every case and reports the largest relative
difference per group.

    pip install scipy numpy      # developed with scipy 1.17.1, numpy 2.4.6
    python3 test/drift-reference/compare.py
"""

import json
import math
import os
import sys

import numpy as np
import scipy
from scipy import special, stats
from scipy.spatial import distance

rng = np.random.default_rng(20251)
out = {
    "generator": {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "seed": 20251,
    }
}


def f(x):
    """JSON-safe float (inf/nan as strings)."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def sample(kind, n, shift):
    if kind == "normal":
        return np.round(rng.normal(shift, 1.0, n), 3)
    if kind == "lognormal":
        return np.round(rng.lognormal(shift, 0.8, n), 3)
    if kind == "int":  # heavy ties
        return rng.poisson(4 + 3 * shift, n).astype(float)
    if kind == "uniform":
        return np.round(rng.uniform(shift, 1 + shift, n), 4)
    raise ValueError(kind)


# ---------------------------------------------------------------------------------------------
# Datasets: explicit samples (small/medium) and compact value/count samples (large n).
datasets = []
sizes = [(1, 1), (1, 4), (3, 3), (5, 5), (6, 9), (10, 7), (20, 20), (25, 40), (50, 60), (64, 64),
         (100, 100), (100, 137), (200, 150), (300, 301), (500, 450), (777, 1000)]
kinds = ["normal", "lognormal", "int", "uniform"]
for i, (n1, n2) in enumerate(sizes):
    for shift in (0.0, 0.3, 1.0):
        kind = kinds[(i + int(shift * 10)) % len(kinds)]
        a = sample(kind, n1, 0.0)
        b = sample(kind, n2, shift)
        datasets.append({"id": len(datasets), "kind": kind, "a": a.tolist(), "b": b.tolist()})

# Large samples as counts over a shared support (KS and Wasserstein only need values + counts).
large = [(10000, 10000, 0.02), (10000, 9000, 0.05), (10001, 500, 0.0), (12000, 9000, 0.03),
         (30000, 20000, 0.01), (50000, 50000, 0.0), (200000, 150000, 0.005), (400, 12000, 0.2),
         (10000, 10000, 0.0), (100000, 1000, 0.05)]
compact = []
for n1, n2, shift in large:
    support = np.round(np.linspace(-4, 4, 161), 2)
    pa = stats.norm.pdf(support)
    pb = stats.norm.pdf(support, loc=shift)
    ca = rng.multinomial(n1, pa / pa.sum())
    cb = rng.multinomial(n2, pb / pb.sum())
    compact.append({"id": len(compact), "values": support.tolist(), "countsA": ca.tolist(), "countsB": cb.tolist()})
out["datasets"] = datasets
out["compactDatasets"] = compact


def expand(c):
    v = np.array(c["values"])
    return np.repeat(v, c["countsA"]), np.repeat(v, c["countsB"])


# ---------------------------------------------------------------------------------------------
# KS two-sample, three methods.
ks = []
for d in datasets:
    a, b = np.array(d["a"]), np.array(d["b"])
    for method in ("auto", "exact", "asymp"):
        r = stats.ks_2samp(a, b, method=method)
        ks.append({"dataset": d["id"], "method": method, "statistic": f(r.statistic), "pvalue": f(r.pvalue)})
ks_compact = []
for c in compact:
    a, b = expand(c)
    for method in ("auto", "asymp"):
        r = stats.ks_2samp(a, b, method=method)
        ks_compact.append({"dataset": c["id"], "method": method, "statistic": f(r.statistic), "pvalue": f(r.pvalue)})
out["ks"] = ks
out["ksCompact"] = ks_compact

# ---------------------------------------------------------------------------------------------
# Wasserstein (plain and Evidently-normed) and Sturges binning + JS/PSI on the bins.


def evidently_fill(p):
    p = p.copy()
    nz = p[p != 0]
    fill = nz.min() / 10**6 if nz.min() <= 0.0001 else 0.0001
    np.place(p, p == 0, fill)
    return p


wass = []
binning = []
for d in datasets:
    a, b = np.array(d["a"]), np.array(d["b"])
    w = stats.wasserstein_distance(a, b)
    wass.append({"dataset": d["id"], "value": f(w), "normed": f(w / max(np.std(a), 0.001))})
    pooled = np.concatenate([a, b])
    edges = np.histogram_bin_edges(pooled, bins="sturges")
    ca = np.histogram(a, edges)[0]
    cb = np.histogram(b, edges)[0]
    ra, rb = ca / len(a), cb / len(b)
    binning.append({
        "dataset": d["id"],
        "edges": [f(e) for e in edges],
        "countsA": ca.tolist(),
        "countsB": cb.tolist(),
        "jensenshannon": f(distance.jensenshannon(ra, rb)),
        "jensenshannon2": f(distance.jensenshannon(ra, rb, 2.0)),
        "psi": f(np.sum((evidently_fill(ra) - evidently_fill(rb)) * np.log(evidently_fill(ra) / evidently_fill(rb)))),
    })
wass_compact = []
for c in compact:
    a, b = expand(c)
    w = stats.wasserstein_distance(a, b)
    wass_compact.append({"dataset": c["id"], "value": f(w), "normed": f(w / max(np.std(a), 0.001))})
out["wasserstein"] = wass
out["wassersteinCompact"] = wass_compact
out["binning"] = binning

# Sturges bin counts for sizes around powers of two (numpy's float steps can add a bin).
sturges = []
for n in list(range(1, 70)) + [127, 128, 129, 255, 256, 1000, 1023, 1024, 1025, 2000, 4096, 65536, 200000]:
    x = np.linspace(0.0, 1.0, n) * 7.3 - 1.1 if n > 1 else np.array([2.5])
    e = np.histogram_bin_edges(x, bins="sturges")
    sturges.append({"n": n, "min": f(x.min()), "max": f(x.max()), "bins": len(e) - 1, "edges": [f(v) for v in e]})
out["sturges"] = sturges

# ---------------------------------------------------------------------------------------------
# Chi-square goodness of fit, Evidently-style expected = ref * n_cur / n_ref; and the two-sample
# homogeneity test (chi2_contingency without Yates correction) on the same tables.
chis = []
for i in range(120):
    k = int(rng.integers(2, 40))
    pa = rng.dirichlet(np.ones(k))
    shift = [0.0, 0.02, 0.2][i % 3]
    pb = (1 - shift) * pa + shift * rng.dirichlet(np.ones(k))
    n1 = int(rng.integers(30, 5000))
    n2 = int(rng.integers(30, 5000))
    ca = rng.multinomial(n1, pa)
    cb = rng.multinomial(n2, pb)
    keep = (ca > 0)  # expected must be > 0 for a finite statistic
    ca, cb = ca[keep], cb[keep]
    if len(ca) < 2:
        continue
    # scipy checks sum(obs) == sum(exp): rescale over the kept categories.
    exp = ca * (cb.sum() / ca.sum())
    r = stats.chisquare(cb, exp)
    h = stats.chi2_contingency(np.vstack([ca, cb]), correction=False)
    chis.append({"ref": ca.tolist(), "cur": cb.tolist(), "statistic": f(r.statistic), "pvalue": f(r.pvalue),
                 "homogeneityStatistic": f(h.statistic), "homogeneityPvalue": f(h.pvalue)})
out["chisquare"] = chis

# ---------------------------------------------------------------------------------------------
# Jensen-Shannon on random (unnormalized, with zeros) vectors.
jss = []
for i in range(150):
    k = int(rng.integers(2, 30))
    p = rng.random(k) * (rng.random(k) > 0.2)
    q = rng.random(k) * (rng.random(k) > 0.2)
    if p.sum() == 0 or q.sum() == 0:
        continue
    jss.append({"p": p.tolist(), "q": q.tolist(), "natural": f(distance.jensenshannon(p, q)),
                "base2": f(distance.jensenshannon(p, q, 2.0))})
out["jensenshannon"] = jss

# ---------------------------------------------------------------------------------------------
# Two-proportion z-test (Evidently's statistic; p as 2*norm.sf(|z|), and Evidently's 2*(1-cdf)).
zs = []
for i in range(150):
    n1 = int(rng.integers(5, 20000))
    n2 = int(rng.integers(5, 20000))
    p = rng.uniform(0.01, 0.99)
    x1 = int(rng.binomial(n1, p))
    x2 = int(rng.binomial(n2, min(0.999, p + [0, 0.01, 0.05, 0.2][i % 4])))
    p1, p2 = x1 / n1, x2 / n2
    P = (p1 * n1 + p2 * n2) / (n1 + n2)
    if P in (0.0, 1.0):
        continue
    z = (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2))
    zs.append({"x1": x1, "n1": n1, "x2": x2, "n2": n2, "z": f(z), "pvalue": f(2 * stats.norm.sf(abs(z))),
               "pvalueEvidently": f(2 * (1 - stats.norm.cdf(abs(z))))})
out["ztest"] = zs

# ---------------------------------------------------------------------------------------------
# Distribution functions on grids.
ns = [1, 2, 3, 4, 5, 7, 10, 15, 20, 30, 50, 75, 100, 139, 140, 141, 200, 333, 500, 1000, 2500, 5000,
      10000, 25000, 50000, 100000, 100001, 150000, 1200000]
cs = [0.02, 0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.5, 3.0, 3.5, 4.5, 6.0]
kstwo = []
for n in ns:
    xs = sorted({min(0.999, c / math.sqrt(n)) for c in cs} | {0.45, 0.5, 0.6, 0.9, 1.0 / n, 0.75 / n, 1 - 1.0 / n})
    for x in xs:
        if not (0 < x < 1):
            continue
        kstwo.append({"n": n, "x": x, "sf": f(stats.kstwo.sf(x, n)), "cdf": f(stats.kstwo.cdf(x, n))})
out["kstwo"] = kstwo
out["kstwobign"] = [{"x": x, "sf": f(stats.kstwobign.sf(x)), "cdf": f(stats.kstwobign.cdf(x))}
                    for x in np.round(np.concatenate([np.linspace(0.03, 3, 100), [4, 5, 6, 8]]), 6).tolist()]
smir = []
for n in [1, 2, 5, 10, 33, 100, 141, 1000, 10000, 100000]:
    for x in [0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.95]:
        smir.append({"n": n, "x": x, "sf": f(special.smirnov(n, x))})
out["smirnov"] = smir
chi2 = []
for df in [1, 2, 3, 4, 5, 7, 10, 19, 30, 50, 100, 300, 1000, 5000]:
    for q in [0.0001, 0.01, 0.2, 0.5, 0.8, 0.99, 0.999999, 1 - 1e-12]:
        x = float(stats.chi2.ppf(q, df))
        chi2.append({"x": x, "df": df, "sf": f(stats.chi2.sf(x, df))})
    for x in [df * 3.0, df * 6.0 + 50]:
        chi2.append({"x": x, "df": df, "sf": f(stats.chi2.sf(x, df))})
out["chi2sf"] = chi2
grid = np.round(np.concatenate([np.linspace(-9, 9, 181), [-38, -30, -20, 12, 20, 26.5]]), 6).tolist()
out["ndtr"] = [{"x": x, "cdf": f(special.ndtr(x)), "sf": f(stats.norm.sf(x))} for x in grid]
out["erfc"] = [{"x": x, "erfc": f(special.erfc(x)), "erf": f(special.erf(x))}
               for x in np.round(np.concatenate([np.linspace(-6, 27, 331), [0.4999, 0.5, 0.5001]]), 6).tolist()]

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases.json")
with open(path, "w") as fh:
    json.dump(out, fh, separators=(",", ":"))
counts = {k: len(v) for k, v in out.items() if isinstance(v, list)}
print(f"wrote {path} ({os.path.getsize(path) // 1024} KB): {counts}")
