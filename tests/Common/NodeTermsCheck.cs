using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Testing;

/// <summary>
/// A pin-level model's node-shared kernels (<see cref="DeviceModel.PrepareNodes"/>) against its per-device span kernels,
/// which the scalar law checks: what the reference and the calibration run must be the same law. Compiled into every
/// test project.
/// </summary>
internal static class NodeTermsCheck
{
    /// <summary>
    /// Three nodes (ground, <paramref name="vs"/>, <paramref name="vd"/>, each sample nudged) over a few samples; every
    /// ordered pair of them, ground and self-loops included, through both kernels. Returns the pairs checked.
    /// </summary>
    public static int Compare(DeviceModel model, double vs, double vd, ReadOnlySpan<double> p, Random random)
    {
        const int width = 3, nodes = 3;
        var state = new double[nodes * width];
        for (int b = 0; b < width; b++)
        {
            state[width + b] = vs * (1 + 0.1 * b);
            state[2 * width + b] = vd * (1 - 0.1 * b);
        }
        var terms = model.PrepareNodes(state, width, null);
        if (terms is null) throw new AssertionException($"{model.Name} prepares no node terms");
        int pairs = 0;
        for (int s = 0; s < nodes; s++)
            for (int d = 0; d < nodes; d++)
            {
                var (so, si, to, ti) = (new double[width], new double[width], new double[width], new double[width]);
                model.PinCurrents(state.AsSpan(s * width, width), state.AsSpan(d * width, width), p, so, si);
                model.PinCurrents(terms, s, d, p, to, ti);
                Assert.That(to, Is.EqualTo(so).Within(1e-12).Percent, $"{model.Name} current out of node {s}");
                Assert.That(ti, Is.EqualTo(si).Within(1e-12).Percent, $"{model.Name} current into node {d}");

                var wo = Enumerable.Range(0, width).Select(b => b == 1 ? 0 : random.NextDouble() - 0.5).ToArray();
                var wi = Enumerable.Range(0, width).Select(b => b == 1 ? 0 : random.NextDouble() - 0.5).ToArray();
                var (gs, gd, gp) = (new double[width], new double[width], new double[p.Length * width]);
                var (hs, hd, hp) = (new double[width], new double[width], new double[p.Length * width]);
                model.PinAdjoint(state.AsSpan(s * width, width), state.AsSpan(d * width, width), p, wo, wi, gs, gd, gp);
                model.PinAdjoint(terms, s, d, p, wo, wi, hs, hd, hp);
                for (int k = 0; k < width; k++)
                {
                    Assert.That(hs[k], Is.EqualTo(gs[k]).Within(1e-12 * (1 + Math.Abs(gs[k]))), $"{model.Name} adjoint d/dvs, pair {s}-{d}");
                    Assert.That(hd[k], Is.EqualTo(gd[k]).Within(1e-12 * (1 + Math.Abs(gd[k]))), $"{model.Name} adjoint d/dvd, pair {s}-{d}");
                }
                for (int k = 0; k < gp.Length; k++)
                    Assert.That(hp[k], Is.EqualTo(gp[k]).Within(1e-12 * (1 + Math.Abs(gp[k]))), $"{model.Name} adjoint d/d{model.ParameterNames[k / width]}, pair {s}-{d}");
                pairs++;
            }
        return pairs;
    }
}
