using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Cells;

/// <summary>
/// A device as its fitted cell behaves (macro fidelity): I = sum over parts of amp_j * F_j(g_j * (a*vs + b*vd + c)),
/// F_j the characterized curve of its transistor circuit (output per unit bias against differential gate
/// voltage). Parameters per device: a, b, c (the input network), then per part its gain g_j (V per model unit)
/// and realized amplitude amp_j (bias current / current scale, signed by the output direction), so bias
/// clamping shows up in the law exactly as built.
/// </summary>
public sealed class CellMacroModel : DeviceModel
{
    private readonly PartFit[] _fits;

    public CellMacroModel(DeviceModel ideal, IReadOnlyList<PartFit> fits, string techName)
    {
        Ideal = ideal;
        _fits = fits.ToArray();
        Name = $"{ideal.Name}_{techName}_macro";
        ParameterNames = ["a", "b", "c", .. _fits.SelectMany((_, j) => new[] { $"g{j}", $"amp{j}" })];
        Expr u = Expr.P(0) * Expr.Vs + Expr.P(1) * Expr.Vd + Expr.P(2);
        Expr? law = null;
        for (int j = 0; j < _fits.Length; j++)
        {
            var term = Expr.P(4 + 2 * j) * Expr.Lookup(Expr.P(3 + 2 * j) * u, _fits[j].Y, _fits[j].F);
            law = law is null ? term : law + term;
        }
        Law = law!;
    }

    public DeviceModel Ideal { get; }
    public override string Name { get; }
    public override string Equation => $"fitted cell of {Ideal.Name}: sum_j amp_j * cell_j(g_j * (a*vs + b*vd + c))";
    public override IReadOnlyList<string> ParameterNames { get; }
    public override DeviceFamily Family => Ideal.Family;
    public override bool DependsOnDifferenceOnly => false;
    public override Expr Law { get; }

    public override double Current(double vs, double vd, ReadOnlySpan<double> p)
    {
        double u = p[0] * vs + p[1] * vd + p[2], sum = 0;
        for (int j = 0; j < _fits.Length; j++) sum += p[4 + 2 * j] * Uniform(_fits[j], p[3 + 2 * j] * u);
        return sum;
    }

    public override (double DVs, double DVd) Gradient(double vs, double vd, ReadOnlySpan<double> p)
    {
        double u = p[0] * vs + p[1] * vd + p[2], d = 0;
        for (int j = 0; j < _fits.Length; j++)
        {
            double g = p[3 + 2 * j], h = 1e-6 / Math.Max(g, 1e-300);
            d += p[4 + 2 * j] * (Uniform(_fits[j], g * (u + h)) - Uniform(_fits[j], g * (u - h))) / (2 * h);
        }
        return (d * p[0], d * p[1]);
    }

    public override void Current(ReadOnlySpan<double> vs, ReadOnlySpan<double> vd, ReadOnlySpan<double> p, Span<double> current)
    {
        Affine(vs, p[0], vd, p[1], p[2], current);
        for (int b = 0; b < current.Length; b++)
        {
            double u = current[b], sum = 0;
            for (int j = 0; j < _fits.Length; j++) sum += p[4 + 2 * j] * Uniform(_fits[j], p[3 + 2 * j] * u);
            current[b] = sum;
        }
    }

    /// <summary>The curves are on a uniform grid: O(1) interpolation for the reference's hot loop; flat beyond the ends.</summary>
    private static double Uniform(PartFit f, double y)
    {
        var xs = f.Y;
        if (y <= xs[0]) return f.F[0];
        if (y >= xs[^1]) return f.F[^1];
        double pos = (y - xs[0]) / (xs[1] - xs[0]);
        int i = Math.Min((int)pos, xs.Length - 2);
        double t = pos - i;
        return f.F[i] + t * (f.F[i + 1] - f.F[i]);
    }
}
