#!/usr/bin/env python3
"""Step response and DC line law of one v2 input driver (kh2_drv) at a deck's fan-out.

The bench takes the header of a v2 transistor deck (`kirchhoffhw generate <design> --fidelity transistor`): its
models, subcircuits, supplies, bias generators and reference ladder, so the driver is exactly what ships. The
driver's subcircuit is taken from the worktree's templates/spice/cells/regulated.sbn (so a template edit is measured
without a rebuild; --deck-subckt keeps the deck's own). One driver at width scale k drives its lines np and nm, each
loaded by nMOS copies summing to 10 k unit ratios (a node's driver scale is its summed copy ratios / 20, half on
each line), drains at 0 V as the cells' summing nodes hold them; a unit copy of each line into a 0 V source is the
probe.

  step: the node steps from V0 to V0 + DV in 0.5 ns; per line the delay (time to 10 % of the change), overshoot
        (beyond the final value, fraction of the change) and the times after which it stays within 10 % and 1 %.
  dc:   the node swept over +-0.45 V: the standing line currents I_P0, I_M0 at 0 V, S (the slope of
        L = (I_P - I_M) / 2 per volt, best line over +-0.45 V, as RegulatedFamily.Characterized holds it), the INL of
        L over +-0.4 V, how far I_P + I_M moves, the supply current, and the line reference's drain voltage.
  cap:  the driver's input capacitance per unit of k (node ramped up and down at the same rate).

RegulatedFamily.Characterized's driver figures come from `--k 1 --mode dc --deck-subckt` and `--mode cap`
(Kappa = the core's kappa S / S). Driver parameters can be overridden (--param s=12, repeatable) to try sizes.

Usage: python3 bench/drvstep.py DECK [--k 64] [--v0 0.1] [--dv 0.05] [--mode step|dc|cap|both] [--deck-subckt]
       [--param name=value] [--tstop 60e-9] [--extra 'deck lines']
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile


HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WINT = 5e-9


def ratio_width(r, w):
    return r * (w - 2 * WINT) + 2 * WINT


def header(deck_text, own_subckt):
    """The deck up to its drivers, without its analyses; optionally with the worktree's kh2_drv."""
    out = []
    for line in deck_text.split('\n'):
        if line.startswith('*** drivers:'):
            break
        low = line.lower().strip()
        if re.match(r'^c\d+ n\d+ 0 ', low):
            continue  # the design's node capacitors: the bench drives its own node
        if low == '.end' or low.startswith(('.tran', '.ic ', '.control', '.save', '.print', '.options')):
            continue
        out.append(line)
    text = '\n'.join(out) + '\n'
    if own_subckt:
        nmos = re.search(r'^M\S+ \S+ \S+ \S+ vss (\S+) ', text, re.M).group(1)
        pmos = re.search(r'^M\S+ \S+ \S+ \S+ vdd (\S+) ', text, re.M).group(1)
        sbn = open(os.path.join(ROOT, 'templates', 'spice', 'cells', 'regulated.sbn')).read()
        sub = re.search(r'^\.subckt kh2_drv .*?^\.ends kh2_drv$', sbn, re.M | re.S).group(0)
        sub = sub.replace('{{ nmos }}', nmos).replace('{{ pmos }}', pmos)
        text = re.sub(r'^\.subckt kh2_drv .*?^\.ends kh2_drv$', lambda _: sub, text, flags=re.M | re.S)
    return text


def driver_pins(deck_text):
    """The bias and reference pins of the deck's driver of node 1 (everything after its line pins)."""
    m = re.search(r'^Xdrv1 (\S+ ){5}(.*) kh2_drv ', deck_text, re.M)
    return m.group(2)


def driver_params(deck_text, k):
    m = re.search(r'^Xdrv1 .* kh2_drv (.*)$', deck_text, re.M)
    params = m.group(1)
    params = re.sub(r'\bk=\S+', 'k=%g' % k, params)
    for kv in OVERRIDES:
        name = kv.split('=')[0]
        params = re.sub(r'\b%s=\S+' % name, kv, params) if re.search(r'\b%s=' % name, params) else params + ' ' + kv
    return params


def copy_unit(deck_text):
    """The cells' copy width and length (a device's source copy: M<l>_<e>_sa)."""
    m = re.search(r'^M\S+_sa \S+ n[pm]_\d+ vss vss \S+ w=(\S+) l=(\S+)', deck_text, re.M)
    return float(m.group(2)) if m else None


def bench_deck(deck_text, k, own, src, analysis, wc, lc, extra=''):
    p = driver_params(deck_text, k)
    load = ratio_width(10 * k, wc)
    return (header(deck_text, own) + '\n' +
            '*** bench: one driver at k = %g, each line loaded by copies summing to %g unit ratios\n' % (k, 10 * k) +
            src +
            'Xdrv nin np nm pp pm %s kh2_drv %s\n' % (driver_pins(deck_text), p) +
            'Mlp 0 np vss vss %s w=%g l=%g\n' % (NMOS, load, lc) +
            'Mlm 0 nm vss vss %s w=%g l=%g\n' % (NMOS, load, lc) +
            'Mprp xp np vss vss %s w=%g l=%g\nVprp xp 0 0\n' % (NMOS, wc, lc) +
            'Mprm xm nm vss vss %s w=%g l=%g\nVprm xm 0 0\n' % (NMOS, wc, lc) +
            extra + analysis + '\n.end\n')


def run(text, vectors):
    with tempfile.TemporaryDirectory() as d:
        cir = os.path.join(d, 'b.cir')
        out = os.path.join(d, 'b.txt')
        text = text.replace('.end\n', '.control\nrun\nset wr_singlescale\nset wr_vecnames\noption numdgt=12\nwrdata %s %s\n.endc\n.end\n' % (out, ' '.join(vectors)))
        open(cir, 'w').write(text)
        if os.environ.get('DRVSTEP_KEEP'):
            open(os.environ['DRVSTEP_KEEP'], 'w').write(text)
        r = subprocess.run(['ngspice', '-b', cir], capture_output=True, text=True)
        if not os.path.exists(out):
            sys.exit(r.stdout[-3000:] + r.stderr[-3000:])
        rows = [l.split() for l in open(out).read().split('\n')[1:] if l.strip()]
        data = [[float(x) for x in r] for r in rows]
        cpu = re.search(r'Total analysis time.*?=\s*(\S+)', r.stdout)
        return data, cpu.group(1) if cpu else '?'


def interp(x, xs, ys):
    for i in range(1, len(xs)):
        if xs[i] >= x:
            f = (x - xs[i - 1]) / (xs[i] - xs[i - 1])
            return ys[i - 1] + f * (ys[i] - ys[i - 1])
    return ys[-1]


def line_fit(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return b, my - b * mx


def settle(t, y, t0, frac):
    """(time after t0 until y stays within frac of its change, delay to 10 % of it, overshoot, y before, y final)."""
    y0 = interp(t0, t, y)
    yf = y[-1]
    dy = yf - y0
    after = [i for i in range(len(t)) if t[i] >= t0]
    bad = [i for i in after if abs(y[i] - yf) > frac * abs(dy)]
    ts = t[bad[-1]] - t0 if bad else 0.0
    cross = [i for i in after if abs(y[i] - y0) >= 0.1 * abs(dy)]
    delay = t[cross[0]] - t0 if cross else float('nan')
    sign = 1 if dy > 0 else -1
    over = max((y[i] - yf) * sign for i in after) / abs(dy)
    return ts, delay, over, y0, yf


NMOS = 'nmos'
OVERRIDES = []


def main():
    global NMOS
    ap = argparse.ArgumentParser()
    ap.add_argument('deck')
    ap.add_argument('--k', type=float, default=64)
    ap.add_argument('--v0', type=float, default=0.10)
    ap.add_argument('--dv', type=float, default=0.05)
    ap.add_argument('--mode', default='both')
    ap.add_argument('--deck-subckt', action='store_true')
    ap.add_argument('--param', action='append', default=[], help='driver parameter override, name=value (repeatable)')
    ap.add_argument('--extra', default='', help='extra deck lines (\\n-separated)')
    ap.add_argument('--tstop', type=float, default=60e-9)
    a = ap.parse_args()
    OVERRIDES.extend(a.param)
    deck = open(a.deck).read()
    NMOS = re.search(r'^M\S+ \S+ \S+ \S+ vss (\S+) ', deck, re.M).group(1)
    wl = re.search(r'^M\S+_sa \S+ n[pm]_\d+ vss vss \S+ w=\S+ l=(\S+)', deck, re.M)
    lc = float(wl.group(1)) if wl else 250e-9
    wc = 0.5e-6
    own = not a.deck_subckt
    if a.mode in ('dc', 'both'):
        txt = bench_deck(deck, a.k, own, 'Vin nin 0 0\n', '.dc Vin -0.45 0.45 0.01', wc, lc)
        data, cpu = run(txt, ['i(vprp)', 'i(vprm)', 'i(vdd)', 'v(np)'])
        v = [r[0] for r in data]
        ip, im, idd, vnp = [-r[1] for r in data], [-r[2] for r in data], [-r[3] for r in data], [r[4] for r in data]
        i0, im0 = interp(0, v, ip), interp(0, v, im)
        # S: slope of L = (I_P - I_M) / 2 per volt (best line over +-0.45 V), as RegulatedFamily.Characterized holds it
        L = [(p - m) / 2 for p, m in zip(ip, im)]
        sel = [i for i in range(len(v)) if abs(v[i]) <= 0.45 + 1e-9]
        S, _ = line_fit([v[i] for i in sel], [L[i] for i in sel])
        sel4 = [i for i in range(len(v)) if abs(v[i]) <= 0.4 + 1e-9]
        b, c = line_fit([v[i] for i in sel4], [L[i] for i in sel4])
        inl = max(abs(L[i] - (b * v[i] + c)) for i in sel4) / abs(b * 0.4)
        mism = max(abs(ip[i] + im[i] - i0 - im0) for i in sel4) / (i0 + im0)
        print('dc: I_P0 %.6g A, I_M0 %.6g A, S (slope of (I_P - I_M) / 2) %.6g A/V, INL of L over +-0.4 V %.3f %% of its swing, '
              '|I_P + I_M - (I_P0 + I_M0)| <= %.2f %% over +-0.4 V, I_P %.4g .. %.4g A over +-0.45 V, supply current %.4g A at 0 V (k = %g)'
              % (i0, im0, S, 100 * inl, 100 * mism, min(ip), max(ip), abs(interp(0, v, idd)), a.k))
        print("dc: line np (the reference's drain) %.4f .. %.4f V over +-0.45 V (the copies' drains at 0 V)" % (min(vnp), max(vnp)))
    if a.mode == 'cap':
        # input capacitance per unit of k: the node ramped up then down at the same rate; the conductance current is
        # the same on both ramps at equal voltage, so (I_up - I_down) / 2 = C dV/dt (mean over +-0.2 V)
        tr, lo, hi = 200e-9, -0.3, 0.3
        rate = (hi - lo) / tr
        src = 'Vin nin 0 PWL(0 %g %g %g %g %g)\n' % (lo, tr, hi, 2 * tr, lo)
        txt = bench_deck(deck, 1.0, own, src, '.options reltol=1e-6 abstol=1e-16\n.tran %g %g 0 %g' % (tr / 2000, 2 * tr, tr / 2000), wc, lc)
        data, cpu = run(txt, ['v(nin)', 'i(vin)'])
        t, v, i = [r[0] for r in data], [r[1] for r in data], [-r[2] for r in data]
        up = [j for j in range(len(t)) if 0.1 * tr < t[j] < 0.9 * tr]
        dn = sorted([j for j in range(len(t)) if 1.1 * tr < t[j] < 1.9 * tr], key=lambda j: v[j])
        grid = [-0.2 + 0.01 * n for n in range(41)]
        iu = [interp(g, [v[j] for j in up], [i[j] for j in up]) for g in grid]
        idn = [interp(g, [v[j] for j in dn], [i[j] for j in dn]) for g in grid]
        c = sum((x - y) / 2 / rate for x, y in zip(iu, idn)) / len(grid)
        print('cap: driver input capacitance %.4g F per unit of k' % c)
    if a.mode in ('step', 'both'):
        t0 = 5e-9
        src = 'Vin nin 0 PWL(0 %g %g %g %g %g)\n' % (a.v0, t0, a.v0, t0 + 0.5e-9, a.v0 + a.dv)
        step = 5e-12
        txt = bench_deck(deck, a.k, own, src, '.options method=gear reltol=1e-4\n.tran %g %g 0 %g' % (step, a.tstop, 20 * step), wc, lc, a.extra.replace('\\n', '\n'))
        data, cpu = run(txt, ['i(vprp)', 'i(vprm)'])
        t, ip, im = [r[0] for r in data], [-r[1] for r in data], [-r[2] for r in data]
        for name, y in (('P', ip), ('M', im)):
            ts, delay, over, y0, yf = settle(t, y, t0, 0.01)
            ts10, _, _, _, _ = settle(t, y, t0, 0.1)
            print('step %s: %.4g -> %.4g A, delay (10 %% of change) %.2f ns, overshoot %.1f %%, settled to 10 %% %.2f ns, to 1 %% %.2f ns'
                  % (name, y0, yf, delay * 1e9, 100 * over, ts10 * 1e9, ts * 1e9))


if __name__ == '__main__':
    main()
