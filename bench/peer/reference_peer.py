"""Peer for `make bench`: the KirchhoffNet right-hand side in numpy + scipy.sparse, integrated by
scipy.integrate.solve_ivp RK45 at the same tolerance as ours. Each argument is a JSON header written by
KirchhoffHw.Bench (raw little-endian arrays beside it). The whole batch is one ODE system (shared step, as
torchdiffeq does in the authors' training). Prints one JSON object of throughputs; writes the read-out
voltages (case-major float64) to each header's `result` path."""
import json
import sys
import time

import numpy as np
import scipy.sparse as sp
from scipy.integrate import solve_ivp

SLOPE = 0.01


def law(name, p, vs, vd):
    """Device current for every edge (rows) and sample (columns); p[i] is parameter row i as a column."""
    if name == "ShiftTanh1": return np.tanh((vs - vd) * p[1] + p[0])
    if name == "ShiftTanh2": return np.tanh(vs * p[0] + vd * p[1] + p[2])
    if name == "ShiftRelu1": return p[1] * np.maximum(vs - vd - p[0], 0.0)
    if name == "ShiftRelu2": return np.maximum(vs * p[0] + vd * p[1] + p[2], 0.0)
    if name == "ShiftLeakyRelu1":
        x = vs - vd - p[0]
        return p[1] * np.where(x > 0, x, SLOPE * x)
    if name == "ShiftLeakyRelu2":
        x = vs * p[0] + vd * p[1] + p[2]
        return np.where(x > 0, x, SLOPE * x)
    if name == "Conductance": return p[0] * (vs - vd)
    raise ValueError(f"unknown device model {name}")


def run(header_path):
    h = json.load(open(header_path))
    n, cases = h["nodes"], h["cases"]
    y = np.fromfile(h["initial"], dtype="<f8").reshape(cases, n).T.copy()  # node-major: (n, cases)
    nfev = 0
    start = time.perf_counter()
    for layer in h["layers"]:
        e = layer["edges"]
        src = np.fromfile(layer["src"], dtype="<i4")
        dst = np.fromfile(layer["dst"], dtype="<i4")
        p = np.fromfile(layer["theta"], dtype="<f8").reshape(layer["parameters"], e)[:, :, None]
        rows = np.arange(e)
        gather_s = sp.csr_matrix((np.ones(e), (rows, src)), shape=(e, n + 1))[:, 1:]
        gather_d = sp.csr_matrix((np.ones(e), (rows, dst)), shape=(e, n + 1))[:, 1:]
        incidence = (sp.csr_matrix((np.ones(e), (dst, rows)), shape=(n + 1, e))
                     - sp.csr_matrix((np.ones(e), (src, rows)), shape=(n + 1, e)))[1:, :].tocsr()
        model = layer["model"]

        def rhs(_t, flat):
            v = flat.reshape(n, cases)
            return (incidence @ law(model, p, gather_s @ v, gather_d @ v)).ravel()

        sol = solve_ivp(rhs, (layer["t0"], layer["t1"]), y.ravel(), method="RK45", rtol=h["tol"], atol=h["tol"])
        if sol.status != 0: raise RuntimeError(sol.message)
        nfev += sol.nfev
        y = sol.y[:, -1].reshape(n, cases)
    seconds = time.perf_counter() - start
    out = y[np.array(h["output_nodes"]) - 1, :].T.copy()
    out.astype("<f8").tofile(h["result"])
    return h["name"], {"cases": cases, "seconds": seconds, "nfev": int(nfev)}


def main():
    result = {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": __import__("scipy").__version__}
    for header in sys.argv[1:]:
        name, r = run(header)
        unit = "images" if name == "mnist" else "samples"
        result[f"{name}_{unit}_per_s"] = r["cases"] / r["seconds"]
        result[f"{name}_seconds"] = r["seconds"]
        result[f"{name}_nfev"] = r["nfev"]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
