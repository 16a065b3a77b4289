using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Cells;

/// <summary>
/// A device as its fitted cell behaves (macro fidelity): I = sum over parts of amp_j * shape_j(a*vs + b*vd + c),
/// each shape the characterized, fitted table of its transistor circuit. Parameters per device: a, b, c (the
/// cell's input network) and one realized amplitude per part (bias current / current scale, signed by the
/// output direction), so bias clamping shows up in the law exactly as built.
/// </summary>
public sealed class CellMacroModel : DeviceModel
{
    private readonly PartFit[] _fits;

    public CellMacroModel(DeviceModel ideal, IReadOnlyList<PartFit> fits, string techName)
    {
        Ideal = ideal;
        _fits = fits.ToArray();
        Name = $"{ideal.Name}_{techName}_macro";
        ParameterNames = ["a", "b", "c", .. _fits.Select((_, j) => $"amp{j}")];
        Expr u = Expr.P(0) * Expr.Vs + Expr.P(1) * Expr.Vd + Expr.P(2);
        Expr law = Expr.P(3) * Expr.Lookup(u, _fits[0].U, _fits[0].Shape);
        for (int j = 1; j < _fits.Length; j++) law = law + Expr.P(3 + j) * Expr.Lookup(u, _fits[j].U, _fits[j].Shape);
        Law = law;
    }

    public DeviceModel Ideal { get; }
    public override string Name { get; }
    public override string Equation => $"fitted cell of {Ideal.Name}: sum_j amp_j * table_j(a*vs + b*vd + c)";
    public override IReadOnlyList<string> ParameterNames { get; }
    public override DeviceFamily Family => Ideal.Family;
    public override bool DependsOnDifferenceOnly => false;
    public override Expr Law { get; }

    public override double Current(double vs, double vd, ReadOnlySpan<double> p)
    {
        double u = p[0] * vs + p[1] * vd + p[2], sum = 0;
        for (int j = 0; j < _fits.Length; j++) sum += p[3 + j] * _fits[j].Evaluate(u);
        return sum;
    }

    public override (double DVs, double DVd) Gradient(double vs, double vd, ReadOnlySpan<double> p)
    {
        const double h = 1e-6;
        double u = p[0] * vs + p[1] * vd + p[2], d = 0;
        for (int j = 0; j < _fits.Length; j++) d += p[3 + j] * (_fits[j].Evaluate(u + h) - _fits[j].Evaluate(u - h)) / (2 * h);
        return (d * p[0], d * p[1]);
    }

    public override void Current(ReadOnlySpan<double> vs, ReadOnlySpan<double> vd, ReadOnlySpan<double> p, Span<double> current)
    {
        Affine(vs, p[0], vd, p[1], p[2], current);
        for (int b = 0; b < current.Length; b++)
        {
            double u = current[b], sum = 0;
            for (int j = 0; j < _fits.Length; j++) sum += p[3 + j] * Uniform(_fits[j], u);
            current[b] = sum;
        }
    }

    /// <summary>The fitted tables are on a uniform grid: O(1) interpolation for the reference's hot loop.</summary>
    private static double Uniform(PartFit f, double u)
    {
        var xs = f.U;
        if (u <= xs[0]) return f.Shape[0];
        if (u >= xs[^1]) return f.Shape[^1];
        double pos = (u - xs[0]) / (xs[1] - xs[0]);
        int i = Math.Min((int)pos, xs.Length - 2);
        double t = pos - i;
        return f.Shape[i] + t * (f.Shape[i + 1] - f.Shape[i]);
    }
}
