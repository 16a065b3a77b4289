namespace KirchhoffHw.Model.Devices;

// The authors' device models, equations as in their code (see README, "Device models").
// p = this device's parameter column, vs / vd = source / destination voltage, current flows source -> destination.

/// <summary>tanh((vs - vd) * p1 + p0)</summary>
public sealed class ShiftTanh1 : DeviceModel
{
    public override string Name => "ShiftTanh1";
    public override string Equation => "tanh((vs - vd) * p1 + p0)";
    public override IReadOnlyList<string> ParameterNames { get; } = ["p0", "p1"];
    public override DeviceFamily Family => DeviceFamily.Tanh;
    public override bool DependsOnDifferenceOnly => true;
    public override bool HasAffineForm => true;
    public override AffineForm Affine(ReadOnlySpan<double> p) => new(p[1], -p[1], p[0], 1.0);
    public override void AffineJacobian(ReadOnlySpan<double> p, Span<double> j)
    {
        j.Clear(); // A = p1, B = -p1, C = p0
        j[0 * 2 + 1] = 1; j[1 * 2 + 1] = -1; j[2 * 2 + 0] = 1;
    }
    public override void ParameterGradient(double vs, double vd, ReadOnlySpan<double> p, Span<double> dIdp)
    {
        double t = Math.Tanh((vs - vd) * p[1] + p[0]), s = 1 - t * t;
        dIdp[0] = s;
        dIdp[1] = s * (vs - vd);
    }
    public override Expr Law { get; } = Expr.Tanh((Expr.Vs - Expr.Vd) * Expr.P(1) + Expr.P(0));
    public override double Current(double vs, double vd, ReadOnlySpan<double> p) => Math.Tanh((vs - vd) * p[1] + p[0]);
    public override (double DVs, double DVd) Gradient(double vs, double vd, ReadOnlySpan<double> p)
    {
        double t = Math.Tanh((vs - vd) * p[1] + p[0]), d = (1 - t * t) * p[1];
        return (d, -d);
    }
    public override void Current(ReadOnlySpan<double> vs, ReadOnlySpan<double> vd, ReadOnlySpan<double> p, Span<double> current)
    {
        Affine(vs, p[1], vd, -p[1], p[0], current);
        TanhInPlace(current);
    }
}

/// <summary>tanh(vs * p0 + vd * p1 + p2)</summary>
public sealed class ShiftTanh2 : DeviceModel
{
    public override string Name => "ShiftTanh2";
    public override string Equation => "tanh(vs * p0 + vd * p1 + p2)";
    public override IReadOnlyList<string> ParameterNames { get; } = ["p0", "p1", "p2"];
    public override DeviceFamily Family => DeviceFamily.Tanh;
    public override bool DependsOnDifferenceOnly => false;
    public override bool HasAffineForm => true;
    public override AffineForm Affine(ReadOnlySpan<double> p) => new(p[0], p[1], p[2], 1.0);
    public override void AffineJacobian(ReadOnlySpan<double> p, Span<double> j)
    {
        j.Clear(); // A = p0, B = p1, C = p2
        j[0 * 3 + 0] = 1; j[1 * 3 + 1] = 1; j[2 * 3 + 2] = 1;
    }
    public override void ParameterGradient(double vs, double vd, ReadOnlySpan<double> p, Span<double> dIdp)
    {
        double t = Math.Tanh(vs * p[0] + vd * p[1] + p[2]), s = 1 - t * t;
        dIdp[0] = s * vs;
        dIdp[1] = s * vd;
        dIdp[2] = s;
    }
    public override Expr Law { get; } = Expr.Tanh(Expr.Vs * Expr.P(0) + Expr.Vd * Expr.P(1) + Expr.P(2));
    public override double Current(double vs, double vd, ReadOnlySpan<double> p) => Math.Tanh(vs * p[0] + vd * p[1] + p[2]);
    public override (double DVs, double DVd) Gradient(double vs, double vd, ReadOnlySpan<double> p)
    {
        double t = Math.Tanh(vs * p[0] + vd * p[1] + p[2]), s = 1 - t * t;
        return (s * p[0], s * p[1]);
    }
    public override void Current(ReadOnlySpan<double> vs, ReadOnlySpan<double> vd, ReadOnlySpan<double> p, Span<double> current)
    {
        Affine(vs, p[0], vd, p[1], p[2], current);
        TanhInPlace(current);
    }
}

/// <summary>p1 * relu(vs - vd - p0)</summary>
public sealed class ShiftRelu1 : DeviceModel
{
    public override string Name => "ShiftRelu1";
    public override string Equation => "p1 * relu(vs - vd - p0)";
    public override IReadOnlyList<string> ParameterNames { get; } = ["p0", "p1"];
    public override DeviceFamily Family => DeviceFamily.Relu;
    public override bool DependsOnDifferenceOnly => true;
    public override bool HasAffineForm => true;
    public override AffineForm Affine(ReadOnlySpan<double> p) => new(1.0, -1.0, -p[0], p[1]);
    public override void AffineJacobian(ReadOnlySpan<double> p, Span<double> j)
    {
        j.Clear(); // C = -p0, Amplitude = p1
        j[2 * 2 + 0] = -1; j[3 * 2 + 1] = 1;
    }
    public override void ParameterGradient(double vs, double vd, ReadOnlySpan<double> p, Span<double> dIdp)
    {
        double x = vs - vd - p[0];
        dIdp[0] = x > 0 ? -p[1] : 0.0;
        dIdp[1] = Math.Max(x, 0.0);
    }
    public override Expr Law { get; } = Expr.P(1) * Expr.Relu(Expr.Vs - Expr.Vd - Expr.P(0));
    public override double Current(double vs, double vd, ReadOnlySpan<double> p) => p[1] * Math.Max(vs - vd - p[0], 0.0);
    public override double[]? Kinks(ReadOnlySpan<double> p) => [p[0]];
    public override (double DVs, double DVd) Gradient(double vs, double vd, ReadOnlySpan<double> p) =>
        vs - vd - p[0] > 0 ? (p[1], -p[1]) : (0.0, 0.0);
    public override void Current(ReadOnlySpan<double> vs, ReadOnlySpan<double> vd, ReadOnlySpan<double> p, Span<double> current)
    {
        Affine(vs, 1.0, vd, -1.0, -p[0], current);
        ScaledLeaky(current, 0.0, p[1]);
    }
}

/// <summary>relu(vs * p0 + vd * p1 + p2)</summary>
public sealed class ShiftRelu2 : DeviceModel
{
    public override string Name => "ShiftRelu2";
    public override string Equation => "relu(vs * p0 + vd * p1 + p2)";
    public override IReadOnlyList<string> ParameterNames { get; } = ["p0", "p1", "p2"];
    public override DeviceFamily Family => DeviceFamily.Relu;
    public override bool DependsOnDifferenceOnly => false;
    public override bool HasAffineForm => true;
    public override AffineForm Affine(ReadOnlySpan<double> p) => new(p[0], p[1], p[2], 1.0);
    public override void AffineJacobian(ReadOnlySpan<double> p, Span<double> j)
    {
        j.Clear(); // A = p0, B = p1, C = p2
        j[0 * 3 + 0] = 1; j[1 * 3 + 1] = 1; j[2 * 3 + 2] = 1;
    }
    public override void ParameterGradient(double vs, double vd, ReadOnlySpan<double> p, Span<double> dIdp)
    {
        double on = vs * p[0] + vd * p[1] + p[2] > 0 ? 1.0 : 0.0;
        dIdp[0] = on * vs;
        dIdp[1] = on * vd;
        dIdp[2] = on;
    }
    public override Expr Law { get; } = Expr.Relu(Expr.Vs * Expr.P(0) + Expr.Vd * Expr.P(1) + Expr.P(2));
    public override double Current(double vs, double vd, ReadOnlySpan<double> p) => Math.Max(vs * p[0] + vd * p[1] + p[2], 0.0);
    public override (double DVs, double DVd) Gradient(double vs, double vd, ReadOnlySpan<double> p) =>
        vs * p[0] + vd * p[1] + p[2] > 0 ? (p[0], p[1]) : (0.0, 0.0);
    public override void Current(ReadOnlySpan<double> vs, ReadOnlySpan<double> vd, ReadOnlySpan<double> p, Span<double> current)
    {
        Affine(vs, p[0], vd, p[1], p[2], current);
        ScaledLeaky(current, 0.0, 1.0);
    }
}

/// <summary>p1 * leaky_relu(vs - vd - p0), negative slope 0.01 (PyTorch's default).</summary>
public sealed class ShiftLeakyRelu1 : DeviceModel
{
    public const double Slope = Activations.LeakySlope;
    public override string Name => "ShiftLeakyRelu1";
    public override string Equation => "p1 * leaky_relu(vs - vd - p0), slope 0.01";
    public override IReadOnlyList<string> ParameterNames { get; } = ["p0", "p1"];
    public override DeviceFamily Family => DeviceFamily.LeakyRelu;
    public override bool DependsOnDifferenceOnly => true;
    public override bool HasAffineForm => true;
    public override AffineForm Affine(ReadOnlySpan<double> p) => new(1.0, -1.0, -p[0], p[1]);
    public override void AffineJacobian(ReadOnlySpan<double> p, Span<double> j)
    {
        j.Clear(); // C = -p0, Amplitude = p1
        j[2 * 2 + 0] = -1; j[3 * 2 + 1] = 1;
    }
    public override void ParameterGradient(double vs, double vd, ReadOnlySpan<double> p, Span<double> dIdp)
    {
        double x = vs - vd - p[0];
        dIdp[0] = -p[1] * (x > 0 ? 1.0 : Slope);
        dIdp[1] = x > 0 ? x : Slope * x;
    }
    public override Expr Law { get; } = Expr.P(1) * Expr.LeakyRelu(Expr.Vs - Expr.Vd - Expr.P(0), Slope);
    public override double[]? Kinks(ReadOnlySpan<double> p) => [p[0]];
    public override double Current(double vs, double vd, ReadOnlySpan<double> p)
    {
        double x = vs - vd - p[0];
        return p[1] * (x > 0 ? x : Slope * x);
    }
    public override (double DVs, double DVd) Gradient(double vs, double vd, ReadOnlySpan<double> p)
    {
        double d = vs - vd - p[0] > 0 ? p[1] : Slope * p[1];
        return (d, -d);
    }
    public override void Current(ReadOnlySpan<double> vs, ReadOnlySpan<double> vd, ReadOnlySpan<double> p, Span<double> current)
    {
        Affine(vs, 1.0, vd, -1.0, -p[0], current);
        ScaledLeaky(current, Slope, p[1]);
    }
}

/// <summary>leaky_relu(vs * p0 + vd * p1 + p2), negative slope 0.01.</summary>
public sealed class ShiftLeakyRelu2 : DeviceModel
{
    public const double Slope = Activations.LeakySlope;
    public override string Name => "ShiftLeakyRelu2";
    public override string Equation => "leaky_relu(vs * p0 + vd * p1 + p2), slope 0.01";
    public override IReadOnlyList<string> ParameterNames { get; } = ["p0", "p1", "p2"];
    public override DeviceFamily Family => DeviceFamily.LeakyRelu;
    public override bool DependsOnDifferenceOnly => false;
    public override bool HasAffineForm => true;
    public override AffineForm Affine(ReadOnlySpan<double> p) => new(p[0], p[1], p[2], 1.0);
    public override void AffineJacobian(ReadOnlySpan<double> p, Span<double> j)
    {
        j.Clear(); // A = p0, B = p1, C = p2
        j[0 * 3 + 0] = 1; j[1 * 3 + 1] = 1; j[2 * 3 + 2] = 1;
    }
    public override void ParameterGradient(double vs, double vd, ReadOnlySpan<double> p, Span<double> dIdp)
    {
        double slope = vs * p[0] + vd * p[1] + p[2] > 0 ? 1.0 : Slope;
        dIdp[0] = slope * vs;
        dIdp[1] = slope * vd;
        dIdp[2] = slope;
    }
    public override Expr Law { get; } = Expr.LeakyRelu(Expr.Vs * Expr.P(0) + Expr.Vd * Expr.P(1) + Expr.P(2), Slope);
    public override double Current(double vs, double vd, ReadOnlySpan<double> p)
    {
        double x = vs * p[0] + vd * p[1] + p[2];
        return x > 0 ? x : Slope * x;
    }
    public override (double DVs, double DVd) Gradient(double vs, double vd, ReadOnlySpan<double> p) =>
        vs * p[0] + vd * p[1] + p[2] > 0 ? (p[0], p[1]) : (Slope * p[0], Slope * p[1]);
    public override void Current(ReadOnlySpan<double> vs, ReadOnlySpan<double> vd, ReadOnlySpan<double> p, Span<double> current)
    {
        Affine(vs, p[0], vd, p[1], p[2], current);
        ScaledLeaky(current, Slope, 1.0);
    }
}

/// <summary>p0 * (vs - vd): a linear conductance (negative values are active devices).</summary>
public sealed class Conductance : DeviceModel
{
    public override string Name => "Conductance";
    public override string Equation => "p0 * (vs - vd)";
    public override IReadOnlyList<string> ParameterNames { get; } = ["p0"];
    public override DeviceFamily Family => DeviceFamily.Linear;
    public override bool DependsOnDifferenceOnly => true;
    public override bool HasAffineForm => true;
    public override AffineForm Affine(ReadOnlySpan<double> p) => new(1.0, -1.0, 0.0, p[0]);
    public override void AffineJacobian(ReadOnlySpan<double> p, Span<double> j)
    {
        j.Clear(); // Amplitude = p0
        j[3] = 1;
    }
    public override void ParameterGradient(double vs, double vd, ReadOnlySpan<double> p, Span<double> dIdp) => dIdp[0] = vs - vd;
    public override Expr Law { get; } = Expr.P(0) * (Expr.Vs - Expr.Vd);
    public override double Current(double vs, double vd, ReadOnlySpan<double> p) => p[0] * (vs - vd);
    public override double[]? Kinks(ReadOnlySpan<double> p) => [];
    public override (double DVs, double DVd) Gradient(double vs, double vd, ReadOnlySpan<double> p) => (p[0], -p[0]);
    public override void Current(ReadOnlySpan<double> vs, ReadOnlySpan<double> vd, ReadOnlySpan<double> p, Span<double> current) =>
        Affine(vs, p[0], vd, -p[0], 0.0, current);
}

/// <summary>The registry of device models by name.</summary>
public static class DeviceModels
{
    public static IReadOnlyList<DeviceModel> All { get; } =
    [
        new ShiftTanh1(), new ShiftTanh2(), new ShiftRelu1(), new ShiftRelu2(),
        new ShiftLeakyRelu1(), new ShiftLeakyRelu2(), new Conductance(),
    ];

    public static DeviceModel? Find(string name) => All.FirstOrDefault(m => m.Name == name);

    public static string Known => string.Join(", ", All.Select(m => m.Name));
}
