#!/usr/bin/env python3
"""How much a design's outputs move when its devices see the node voltages late: the lag a cell may have.

The bench takes an ideal deck (`kirchhoffhw generate <model> --style merged ...`: one behavioural source per node
pair, exact laws) and feeds every device the node voltages through a first-order lag tau (a unity buffer, then an RC
of time constant tau: the node itself is not loaded), then runs it in ngspice for each tau and prints the distance
of the outputs (model units, Euclidean over the nodes) from the run without lag. A transistor cell's drivers, input
stages and output stages together act much like such a lag, so the table says how fast the cells must settle, as a
fraction of the time unit, for the circuit to compute the network.

Usage: python3 bench/lagsens.py DECK [--tau 1e-9,3e-9,10e-9]
"""
import argparse, re, struct, subprocess, tempfile, os

def with_lag(deck, tau):
    if tau <= 0: return deck
    vs = float(re.search(r"voltage scale = (\S+) V", deck).group(1))
    nodes = sorted(set(re.findall(r"^\.ic v\((n\d+)\)=", deck, re.M)), key=lambda n: int(n[1:]))
    lines = []
    for line in deck.split("\n"):
        if line.startswith(("B", "b")):
            head, expr = line.split("I=", 1)
            for n in nodes: expr = expr.replace(f"v({n})", f"v({n}lag)")
            line = head + "I=" + expr
        lines.append(line)
    filt = []
    for n in nodes:
        ic = re.search(rf"^\.ic v\({n}\)=(\S+)", deck, re.M).group(1)
        filt += [f"E{n}buf {n}buf 0 {n} 0 1", f"R{n}lag {n}buf {n}lag 1k", f"C{n}lag {n}lag 0 {tau / 1e3!r}", f".ic v({n}lag)={ic}"]
    text = "\n".join(lines)
    return text.replace("\n.options", "\n" + "\n".join(filt) + "\n.options", 1), vs, nodes

def final_state(raw, nodes, vs):
    b = open(raw, "rb").read(); k = b.index(b"Binary:\n"); h = b[:k].decode().split("\n")
    nv = int(next(l for l in h if l.startswith("No. Variables")).split(":")[1])
    npts = int(next(l for l in h if l.startswith("No. Points")).split(":")[1])
    i = h.index("Variables:"); names = [h[i + 1 + q].split("\t")[2] for q in range(nv)]
    row = struct.unpack_from(f"<{nv}d", b, k + 8 + 8 * nv * (npts - 1))
    return [row[names.index(f"v({n})")] / vs for n in nodes]

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("deck"); ap.add_argument("--tau", default="1e-9,3e-9,10e-9")
    a = ap.parse_args()
    deck = open(a.deck).read()
    taus = [0.0] + [float(t) for t in a.tau.split(",")]
    tunit = float(re.search(r"time unit = (\S+) s", deck).group(1))
    base = None
    with tempfile.TemporaryDirectory() as d:
        for tau in taus:
            text, vs, nodes = with_lag(deck, tau) if tau > 0 else (deck, float(re.search(r"voltage scale = (\S+) V", deck).group(1)),
                sorted(set(re.findall(r"^\.ic v\((n\d+)\)=", deck, re.M)), key=lambda n: int(n[1:])))
            cir, raw = os.path.join(d, "lag.cir"), os.path.join(d, "lag.raw")
            open(cir, "w").write(text)
            subprocess.run(["ngspice", "-b", cir, "-r", raw], capture_output=True, check=True)
            out = final_state(raw, nodes, vs)
            if base is None: base = out
            dist = sum((x - y) ** 2 for x, y in zip(out, base)) ** 0.5
            print(f"lag {tau:.3g} s ({tau / tunit:.3%} of the time unit): final state distance from no lag {dist:.4g} model units")

if __name__ == "__main__":
    main()
