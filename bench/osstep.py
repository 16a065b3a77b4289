#!/usr/bin/env python3
"""Step response and DC figures of one v2 output stage (kh2_os) at a deck's scale.

The bench takes the header of a v2 transistor deck (`kirchhoffhw generate <design> --fidelity transistor`): its
models, subcircuits, supplies and bias generators, so the stage is exactly what ships, with the stage's subcircuit
taken from the worktree's templates/spice/cells/regulated.sbn (a template edit is measured without a rebuild;
--deck-subckt keeps the deck's own). One stage at width scale k (a deck's stage scale is its pair's largest per-layer
load in unit biases) has its inputs d1, d2 fed by independent currents as its cores' pMOS drains feed them (I1 + I2
= k x unit bias, the cores' summed tails) and its pins t, f held by voltage sources (the node capacitors of a deck).

  step: I1 - I2 steps from 0 by --step (fraction of k x unit bias) in 0.5 ns; per pin the delay (to 10 % of the
        change), overshoot (beyond the final value, fraction of the change), and the times after which it stays
        within 10 % and 1 %.
  dc:   each pin swept over +-0.45 V (the other at 0 V) with the inputs at balance and at +-full drive: the pin
        current at balance (mismatch) and the largest output conductance d I / d V over +-swing, fractions of
        k x unit bias; the stage's supply current at balance.
  trim: the per-side trims rt, nt (widths of the pMOS and nMOS copies of pin t) and rf, nf (pin f) that make each
        pin's current exactly I1 - I2 (t) and I2 - I1 (f) at I1 - I2 = +-k x bias / 2 with the pins at 0 V: a gain
        of one and no offset at balance.
  cap:  the pin capacitance per unit of k (pin ramped up and down at the same rate, inputs at balance).

Stage parameters can be overridden (--param cc=1e-14, repeatable; rt, rf too) and the output stages' bias block
current set (--obias 5e-7) to try biases.

Each input carries the drains of the cores that feed it (--layers x k unit pair widths of pMOS, held off: their
junction and overlap capacitance, which the followers must charge).

Usage: python3 bench/osstep.py DECK [--k 77] [--layers 2] [--step 0.05] [--vpin 0] [--mode step|dc|trim|cap] [--obias A] [--deck-subckt]
       [--param name=value] [--tstop 60e-9] [--extra 'deck lines']
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import drvstep  # noqa: E402  (header, run, settle, interp)

ROOT = drvstep.ROOT
UNIT_BIAS = 1e-6  # RegulatedFamily.Deck (m1u)
OVERRIDES = []


OBIAS = [None]


def header(deck_text, own):
    text = drvstep.header(deck_text, False)
    if OBIAS[0] is not None:
        # the output stages' bias block at another current (its replicas follow: the same widths at that current)
        text = re.sub(r'^(Iob[np] \S+ \S+) \S+$', lambda m: '%s %g' % (m.group(1), OBIAS[0]), text, flags=re.M)
    if own:
        nmos = re.search(r'^M\S+ \S+ \S+ \S+ vss (\S+) ', text, re.M).group(1)
        pmos = re.search(r'^M\S+ \S+ \S+ \S+ vdd (\S+) ', text, re.M).group(1)
        sbn = open(os.path.join(ROOT, 'templates', 'spice', 'cells', 'regulated.sbn')).read()
        sub = re.search(r'^\.subckt kh2_os .*?^\.ends kh2_os$', sbn, re.M | re.S).group(0)
        sub = sub.replace('{{ nmos }}', nmos).replace('{{ pmos }}', pmos)
        text = re.sub(r'^\.subckt kh2_os .*?^\.ends kh2_os$', lambda _: sub, text, flags=re.M | re.S)
    return text


def stage_params(deck_text, k, extra=()):
    m = re.search(r'^Xos\S+ .* kh2_os (.*)$', deck_text, re.M)
    params = re.sub(r'\bk=\S+', 'k=%g' % k, m.group(1))
    for kv in list(OVERRIDES) + list(extra):
        name = kv.split('=')[0]
        params = re.sub(r'\b%s=\S+' % name, kv, params) if re.search(r'\b%s=' % name, params) else params + ' ' + kv
    return params


PAIR_W, PAIR_L = 4e-6, 200e-9  # RegulatedFamily.Deck's core pair
LAYERS = [2]


def bench_deck(deck_text, k, own, sources, analysis, extra='', params=()):
    pmos = re.search(r'^M\S+ \S+ \S+ \S+ vdd (\S+) ', deck_text, re.M).group(1)
    # the cores' pMOS drains on each input (every layer's cores on the pair; the tails sum to k unit biases per layer)
    w = drvstep.ratio_width(LAYERS[0] * k, PAIR_W)
    load = ''.join('Mcore%s %s vdd vdd vdd %s w=%g l=%g\n' % (n, n, pmos, w, PAIR_L) for n in ('d1', 'd2')) if LAYERS[0] > 0 else ''
    return (header(deck_text, own) + '\n' +
            '*** bench: one output stage at k = %g, inputs fed by currents and loaded by %g layers of cores, pins held\n' % (k, LAYERS[0]) + sources + load +
            'Xos d1 d2 t f vdd vss ovbn ovbp ovbk ovbkp onb opb kh2_os %s\n' % stage_params(deck_text, k, params) +
            extra + analysis + '\n.end\n')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('deck')
    ap.add_argument('--k', type=float, default=77)
    ap.add_argument('--step', type=float, default=0.05)
    ap.add_argument('--vpin', type=float, default=0.0)
    ap.add_argument('--swing', type=float, default=0.35)
    ap.add_argument('--mode', default='step')
    ap.add_argument('--deck-subckt', action='store_true')
    ap.add_argument('--param', action='append', default=[])
    ap.add_argument('--extra', default='')
    ap.add_argument('--tstop', type=float, default=60e-9)
    ap.add_argument('--obias', type=float, default=None, help="current (A) of the output stages' bias block (default: the deck's)")
    ap.add_argument('--layers', type=float, default=2, help="layers of cores whose pMOS drains load the inputs (0: none)")
    a = ap.parse_args()
    LAYERS[0] = a.layers
    OBIAS[0] = a.obias
    OVERRIDES.extend(a.param)
    deck = open(a.deck).read()
    drvstep.NMOS = re.search(r'^M\S+ \S+ \S+ \S+ vss (\S+) ', deck, re.M).group(1)
    own = not a.deck_subckt
    full = a.k * UNIT_BIAS
    extra = a.extra.replace('\\n', '\n')
    if a.mode == 'step':
        t0, d = 5e-9, a.step * full / 2
        i0 = full / 2
        src = ('Id1 vdd d1 PWL(0 %g %g %g %g %g)\n' % (i0, t0, i0, t0 + 0.5e-9, i0 + d) +
               'Id2 vdd d2 PWL(0 %g %g %g %g %g)\n' % (i0, t0, i0, t0 + 0.5e-9, i0 - d) +
               'Vt t 0 %g\nVf f 0 %g\n' % (a.vpin, a.vpin))
        step = 5e-12
        txt = bench_deck(deck, a.k, own, src, '.options method=gear reltol=1e-4\n.tran %g %g 0 %g' % (step, a.tstop, 20 * step), extra)
        data, cpu = drvstep.run(txt, ['i(vt)', 'i(vf)', 'i(vdd)'])
        t = [r[0] for r in data]
        # current a pin delivers into its node: out of the stage into the holding source
        for name, col in (('t', 1), ('f', 2)):
            y = [r[col] for r in data]
            ts, delay, over, y0, yf = drvstep.settle(t, y, t0, 0.01)
            ts10, _, _, _, _ = drvstep.settle(t, y, t0, 0.1)
            print('step %s: %.4g -> %.4g A, delay (10 %% of change) %.2f ns, overshoot %.1f %%, settled to 10 %% %.2f ns, to 1 %% %.2f ns'
                  % (name, y0, yf, delay * 1e9, 100 * over, ts10 * 1e9, ts * 1e9))
        print('supply current %.4g A before the step (k = %g), ngspice %s s' % (abs(drvstep.interp(t0, t, [r[3] for r in data])), a.k, cpu))
    elif a.mode == 'dc':
        worst_m, worst_g = 0, 0
        for pin, other in (('t', 'f'), ('f', 't')):
            for drive in (0, 1, -1):
                i1, i2 = full * (1 + drive) / 2, full * (1 - drive) / 2
                src = 'Id1 vdd d1 %g\nId2 vdd d2 %g\nV%s %s 0 0\nV%s %s 0 0\n' % (i1, i2, pin, pin, other, other)
                txt = bench_deck(deck, a.k, own, src, '.dc V%s -0.45 0.45 0.01' % pin, extra)
                data, cpu = drvstep.run(txt, ['i(v%s)' % pin, 'i(vdd)'])
                v, i = [r[0] for r in data], [r[1] for r in data]
                sel = [j for j in range(len(v)) if abs(v[j]) <= a.swing + 1e-9]
                g = max(abs((i[j + 1] - i[j]) / (v[j + 1] - v[j])) for j in sel[:-1]) / full
                line = 'dc %s drive %+d: I(0 V) %.4g A, output conductance <= %.5f of k x bias per volt over +-%g V' % (pin, drive, drvstep.interp(0, v, i), g, a.swing)
                if drive == 0:
                    m = max(abs(i[j]) for j in sel) / full
                    worst_m = max(worst_m, m)
                    line += ', |I| at balance <= %.3g of k x bias over the swing, supply %.4g A' % (m, abs(drvstep.interp(0, v, [r[2] for r in data])))
                worst_g = max(worst_g, g)
                print(line)
        print('dc: mismatch at balance <= %.3g, output conductance <= %.5f of bias per volt over +-%g V (k = %g)' % (worst_m, worst_g, a.swing, a.k))
    elif a.mode == 'trim':
        # each pin's current is affine in its pMOS and nMOS copy widths (rt, nt for t; rf, nf for f): three runs at each
        # of two inputs (I1 - I2 = +-k x bias / 2) give the widths that make I(t) = I1 - I2 = -I(f) at both, which is
        # a gain of one and no offset at balance between them
        d = full / 4
        base = {'rt': 1.0, 'nt': 1.0, 'rf': 1.0, 'nf': 1.0}
        runs = [dict(base), dict(base, rt=0.97, rf=0.97), dict(base, nt=0.97, nf=0.97)]
        res = {}
        for sign in (1, -1):
            src = 'Id1 vdd d1 %g\nId2 vdd d2 %g\nVt t 0 0\nVf f 0 0\n' % (full / 2 + sign * d, full / 2 - sign * d)
            for n, r in enumerate(runs):
                txt = bench_deck(deck, a.k, own, src, '.dc Vt 0 0 1', extra, ['%s=%.12g' % kv for kv in r.items()])
                data, cpu = drvstep.run(txt, ['i(vt)', 'i(vf)'])
                res[sign, n] = data[0][1], data[0][2]
        out = []
        for col, want in ((0, 1), (1, -1)):
            rows = []
            for sign in (1, -1):
                c0 = res[sign, 0][col]
                cp = (res[sign, 1][col] - c0) / -0.03
                cn = (res[sign, 2][col] - c0) / -0.03
                rows.append((cp, cn, want * sign * 2 * d - c0))
            (a1, b1, y1), (a2, b2, y2) = rows
            det = a1 * b2 - a2 * b1
            out.append((1 + (y1 * b2 - y2 * b1) / det, 1 + (a1 * y2 - a2 * y1) / det))
        print('trim: rt %.10g nt %.10g rf %.10g nf %.10g (k = %g)' % (out[0][0], out[0][1], out[1][0], out[1][1], a.k))
    elif a.mode == 'cap':
        tr, lo, hi = 200e-9, -0.3, 0.3
        rate = (hi - lo) / tr
        src = 'Id1 vdd d1 %g\nId2 vdd d2 %g\nVt t 0 PWL(0 %g %g %g %g %g)\nVf f 0 0\n' % (full / 2, full / 2, lo, tr, hi, 2 * tr, lo)
        txt = bench_deck(deck, a.k, own, src, '.options reltol=1e-6 abstol=1e-16\n.tran %g %g 0 %g' % (tr / 2000, 2 * tr, tr / 2000), extra)
        data, cpu = drvstep.run(txt, ['v(t)', 'i(vt)'])
        t, v, i = [r[0] for r in data], [r[1] for r in data], [-r[2] for r in data]
        up = [j for j in range(len(t)) if 0.1 * tr < t[j] < 0.9 * tr]
        dn = sorted([j for j in range(len(t)) if 1.1 * tr < t[j] < 1.9 * tr], key=lambda j: v[j])
        grid = [-0.2 + 0.01 * n for n in range(41)]
        iu = [drvstep.interp(g, [v[j] for j in up], [i[j] for j in up]) for g in grid]
        idn = [drvstep.interp(g, [v[j] for j in dn], [i[j] for j in dn]) for g in grid]
        c = sum((x - y) / 2 / rate for x, y in zip(iu, idn)) / len(grid)
        print('cap: pin capacitance %.4g F at k = %g (%.4g F per unit of k)' % (c, a.k, c / a.k))


if __name__ == '__main__':
    main()
