using System.Globalization;
using System.Text;

namespace KirchhoffHw.Simulate.Tests;

/// <summary>Small hand-made decks with known behaviour.</summary>
internal static class Decks
{
    public const double Tau = 1e-9; // R1 * C1 of the RC deck

    /// <summary>C1 charged to 1 V discharging through R1: v(n1) = exp(-t / tau) (tight tolerances, capped step).</summary>
    public const string RcDischarge = """
        rc discharge
        C1 n1 0 1e-12 ic=1
        R1 n1 0 1e3
        .options reltol=1e-6 abstol=1e-15 vntol=1e-9
        .tran 1e-11 5e-9 0 1e-11 uic
        .end
        """;

    /// <summary>KirchhoffNet-like: two capacitor nodes coupled by tanh B-sources, one edge gated by a PWL-driven switch.</summary>
    public const string Nonlinear = """
        tanh pair with a gated edge
        C1 n1 0 1e-12 ic=0.8
        C2 n2 0 1e-12 ic=-0.3
        C3 n3 0 1e-12 ic=0.1
        B1 n1 n2 I=1e-3*tanh(0.3*v(n1)-0.2*v(n2)+0.1)
        B2 n2 n3 I=1e-3*tanh(0.5*v(n2)+0.4*v(n3)-0.2)
        B3 n3 n1 I=1e-3*tanh(-0.7*v(n3)+0.2*v(n1))
        Vg g 0 PWL(0 0 2e-9 0 2.1e-9 1)
        S1 n1 n3 g 0 swmod
        .model swmod sw(vt=0.5 vh=0 ron=1e3 roff=1e12)
        .tran 1e-11 5e-9 uic
        .end
        """;

    /// <summary>A one-picosecond step cap over a millisecond: about 1e9 steps, far beyond any test timeout.</summary>
    public const string Endless = """
        endless
        C1 n1 0 1e-12 ic=1
        R1 n1 0 1e3
        .tran 1e-15 1e-3 0 1e-15 uic
        .end
        """;

    /// <summary>An exponential current source charging its own node: the operating point and the transient both
    /// blow up, ngspice 39 ends with "Timestep too small".</summary>
    public const string Diverging = """
        diverging
        C1 n1 0 1e-12
        B1 0 n1 I=exp(50*v(n1))*1e-6
        .tran 1e-11 5e-9
        .end
        """;

    /// <summary>A transistor without its nodes and model: ngspice rejects the line.</summary>
    public const string SyntaxError = """
        broken
        C1 n1 0 1e-12 ic=1
        Q1 a b
        .tran 1e-11 5e-9 uic
        .end
        """;

    /// <summary>
    /// <paramref name="devices"/> tanh B-sources among <paramref name="nodes"/> capacitor nodes (deterministic
    /// pseudo-random wiring and weights), the shape of a generated KirchhoffNet deck.
    /// </summary>
    public static string Synthetic(int devices, int nodes, double stop = 2e-9)
    {
        var sb = new StringBuilder(devices * 64);
        sb.Append("synthetic kirchhoffnet\n");
        for (var k = 1; k <= nodes; k++)
            sb.Append(CultureInfo.InvariantCulture, $"C{k} n{k} 0 1e-12 ic={Math.Sin(k) * 0.5:R}\n");
        var state = 12345UL;
        for (var e = 1; e <= devices; e++)
        {
            var a = 1 + (int)(Next(ref state) % (ulong)nodes);
            var b = 1 + (int)((ulong)(a + (int)(Next(ref state) % (ulong)(nodes - 1))) % (ulong)nodes);
            var w1 = (Next(ref state) % 1000) / 1000.0 - 0.5;
            var w2 = (Next(ref state) % 1000) / 1000.0 - 0.5;
            sb.Append(CultureInfo.InvariantCulture, $"B{e} n{a} n{b} I=1e-6*tanh({w1:R}*v(n{a})+{w2:R}*v(n{b})+0.1)\n");
        }
        sb.Append(CultureInfo.InvariantCulture, $".tran {stop / 100:R} {stop:R} uic\n.end\n");
        return sb.ToString();
    }

    private static ulong Next(ref ulong state)
    {
        state = state * 6364136223846793005UL + 1442695040888963407UL;
        return state >> 33;
    }
}
