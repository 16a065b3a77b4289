using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Cells;

/// <summary>
/// A device as its fitted cell behaves (like <see cref="CellMacroModel"/>), parameterized by the ideal law's own
/// parameters so that a calibration moves exactly what a design file stores:
/// I = Amplitude(p) * sum_j s_j * F_j(g_j * (A(p) vs + B(p) vd + C(p))), (A, B, C, Amplitude) the ideal model's affine
/// form of p, F_j the characterized curve of part j. Per device after the ideal parameters: per part its device gain
/// g_j and its realized output per unit amplitude s_j, both frozen at the sizing of the trained parameters (a
/// calibration keeps them fixed). For tanh parts neither depends on the device's parameters or range, so lowering
/// the calibrated parameters again builds this very law; bias limits hold s_j where the first sizing clamped it.
/// Solved by the reference only (its law has no generator spelling).
/// </summary>
public sealed class CellStudentModel : DeviceModel
{
    private readonly PartFit[] _fits;
    private readonly int _k;

    public CellStudentModel(DeviceModel ideal, IReadOnlyList<PartFit> fits, string techName)
    {
        if (!ideal.HasAffineForm) throw new NotSupportedException($"no cell for device model {ideal.Name}: its law is not amplitude * act(a*vs + b*vd + c)");
        Ideal = ideal;
        _fits = fits.ToArray();
        _k = ideal.ParameterCount;
        Name = $"{ideal.Name}_{techName}_student";
        ParameterNames = [.. ideal.ParameterNames, .. _fits.SelectMany((_, j) => new[] { $"g{j}", $"s{j}" })];
    }

    public DeviceModel Ideal { get; }
    public override string Name { get; }
    public override string Equation => $"fitted cell of {Ideal.Name} in its own parameters: amplitude * sum_j s_j * cell_j(g_j * (a*vs + b*vd + c))";
    public override IReadOnlyList<string> ParameterNames { get; }
    public override DeviceFamily Family => Ideal.Family;
    public override bool DependsOnDifferenceOnly => false;
    public override Expr Law => throw new NotSupportedException($"{Name} is a calibration student, solved by the reference only; generate its ideal parameters instead");

    /// <summary>The frozen per-part values (g_j, s_j) of device parameters <paramref name="ideal"/> as <see cref="Lowering.Macro"/> sized them.</summary>
    public static double[] FrozenParts(ReadOnlySpan<double> ideal, DeviceModel model, IReadOnlyList<PartFit> fits, IReadOnlyList<PartSizing> sizes, double currentScale, double range)
    {
        var amplitude = model.Affine(ideal).Amplitude;
        var kind = CellKind.For(model);
        var frozen = new double[2 * fits.Count];
        for (int j = 0; j < fits.Count; j++)
        {
            frozen[2 * j] = sizes[j].Gain;
            double realized = Math.Sign(amplitude) * sizes[j].BiasCurrent / currentScale;
            frozen[2 * j + 1] = amplitude != 0 ? realized / amplitude : kind.Parts[j].Weight * fits[j].DeviceScale(range);
        }
        return frozen;
    }

    public override double Current(double vs, double vd, ReadOnlySpan<double> p)
    {
        var f = Ideal.Affine(p[.._k]);
        double u = f.A * vs + f.B * vd + f.C, sum = 0;
        for (int j = 0; j < _fits.Length; j++) sum += p[_k + 2 * j + 1] * Table(_fits[j], p[_k + 2 * j] * u).Value;
        return f.Amplitude * sum;
    }

    public override (double DVs, double DVd) Gradient(double vs, double vd, ReadOnlySpan<double> p)
    {
        var f = Ideal.Affine(p[.._k]);
        double u = f.A * vs + f.B * vd + f.C, d = 0;
        for (int j = 0; j < _fits.Length; j++)
        {
            double g = p[_k + 2 * j];
            d += p[_k + 2 * j + 1] * g * Table(_fits[j], g * u).Slope;
        }
        d *= f.Amplitude;
        return (d * f.A, d * f.B);
    }

    public override void ParameterGradient(double vs, double vd, ReadOnlySpan<double> p, Span<double> dIdp)
    {
        var f = Ideal.Affine(p[.._k]);
        double u = f.A * vs + f.B * vd + f.C, sum = 0, du = 0;
        for (int j = 0; j < _fits.Length; j++)
        {
            double g = p[_k + 2 * j], s = p[_k + 2 * j + 1];
            var (value, slope) = Table(_fits[j], g * u);
            sum += s * value;
            du += s * g * slope;
            dIdp[_k + 2 * j] = f.Amplitude * s * slope * u;
            dIdp[_k + 2 * j + 1] = f.Amplitude * value;
        }
        Span<double> jacobian = stackalloc double[4 * _k];
        Ideal.AffineJacobian(p[.._k], jacobian);
        for (int i = 0; i < _k; i++)
        {
            double dudp = jacobian[i] * vs + jacobian[_k + i] * vd + jacobian[2 * _k + i];
            dIdp[i] = jacobian[3 * _k + i] * sum + f.Amplitude * du * dudp;
        }
    }

    /// <summary>The curve and its slope at y: linear interpolation on the uniform grid, flat (slope 0) beyond the ends.</summary>
    private static (double Value, double Slope) Table(PartFit f, double y)
    {
        var xs = f.Y;
        if (y <= xs[0]) return (f.F[0], 0);
        if (y >= xs[^1]) return (f.F[^1], 0);
        double step = xs[1] - xs[0], pos = (y - xs[0]) / step;
        int i = Math.Min((int)pos, xs.Length - 2);
        double t = pos - i, slope = (f.F[i + 1] - f.F[i]) / step;
        return (f.F[i] + t * (f.F[i + 1] - f.F[i]), slope);
    }
}
