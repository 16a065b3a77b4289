using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Cells;

/// <summary>
/// A way a real cell departs from its trained law, with a strength s relative to each device's input range U
/// (the range its cell is sized for, <see cref="Lowering.DeviceRange"/>). The tolerance analysis perturbs every
/// device at once and asks whether the task survives: the answer is the specification a cell must meet.
/// </summary>
public enum Imperfection
{
    /// <summary>Output amplitude off by a random factor 1 + s*N(0,1) per device (bias and mirror mismatch).</summary>
    Gain,
    /// <summary>Input shifted by a random s*U*N(0,1) per device (pair offset): moves a ReLU's knee, a tanh's centre.</summary>
    Offset,
    /// <summary>Input shifted by +s*U on every device (an untrimmed systematic offset).</summary>
    SystematicOffset,
    /// <summary>Rectifier knee rounded into a softplus of width s*U (a soft current switch); tanh and linear parts unchanged.</summary>
    Knee,
    /// <summary>Output compressed by 1 - s*(u/U)^2 (transconductor curvature at the edge of its range).</summary>
    Compression,
    /// <summary>
    /// Every device sees the node voltages s time units late (a first-order lag: the settling of a cell's drivers,
    /// input and output stages). The laws stay as trained; the reference solves it (<see cref="Reference.LaggedSolver"/>).
    /// </summary>
    Lag,
}

public static class Tolerances
{
    public static readonly IReadOnlyList<Imperfection> All = Enum.GetValues<Imperfection>();

    public static string Name(Imperfection k) => k switch
    {
        Imperfection.Gain => "gain",
        Imperfection.Offset => "offset",
        Imperfection.SystematicOffset => "systematic-offset",
        Imperfection.Knee => "knee",
        Imperfection.Compression => "compression",
        Imperfection.Lag => "lag",
        _ => throw new ArgumentOutOfRangeException(nameof(k)),
    };

    public static string Describe(Imperfection k) => k switch
    {
        Imperfection.Gain => "output amplitude x (1 + s N(0,1)) per device",
        Imperfection.Offset => "input offset s U N(0,1) per device",
        Imperfection.SystematicOffset => "input offset +s U on every device",
        Imperfection.Knee => "rectifier knee as a softplus of width s U",
        Imperfection.Compression => "output x (1 - s (u/U)^2)",
        Imperfection.Lag => "every device sees the node voltages s time units late (first-order lag)",
        _ => throw new ArgumentOutOfRangeException(nameof(k)),
    };

    public static Imperfection Parse(string name)
    {
        foreach (var k in All)
            if (string.Equals(Name(k), name, StringComparison.OrdinalIgnoreCase)) return k;
        throw new KirchhoffHwException("<options>", $"imperfection '{Generate.Formatting.Names.CommentText(name)}' is not one of {string.Join(", ", All.Select(Name))}");
    }

    /// <summary>
    /// The design with every device's law replaced by its perturbed cell law: amp * (1 + dg) * sum_j w_j * T_j(u + du),
    /// T_j the part's ideal shape (tanh, relu, identity) with the knee or compression applied. Seeded per layer, so a
    /// run is repeatable and strengths of one kind draw the same N(0,1) pattern (only its scale changes).
    /// <see cref="Imperfection.Lag"/> leaves every law as it is: the lag is the solver's (<see cref="Reference.LaggedSolver"/>).
    /// </summary>
    public static Design Apply(Design ideal, NodeRanges ranges, Imperfection kind, double strength, int seed)
    {
        if (!(strength >= 0) || double.IsInfinity(strength)) throw new ArgumentOutOfRangeException(nameof(strength), "strength must be finite and >= 0");
        Check(ideal);
        var layers = ideal.Layers.Select((layer, li) =>
        {
            var model = new PerturbedCellModel(layer.Model);
            var nodeRange = ranges.For(li);
            int n = layer.Edges.Count, np = model.ParameterCount;
            var theta = new double[np * n];
            var random = new Random(HashCode.Combine(seed, li));
            for (int e = 0; e < n; e++)
            {
                var p = layer.ParametersOf(e);
                var (a, b, c, amplitude) = CellKind.AffineOf(layer.Model, p);
                double range = Lowering.DeviceRange(layer, e, p, nodeRange), z = Normal(random);
                double gain = 1, offset = 0, knee = 0, compression = 0;
                switch (kind)
                {
                    case Imperfection.Gain: gain = 1 + strength * z; break;
                    case Imperfection.Offset: offset = strength * range * z; break;
                    case Imperfection.SystematicOffset: offset = strength * range; break;
                    case Imperfection.Knee: knee = strength * range; break;
                    case Imperfection.Compression: compression = strength; break;
                }
                double[] column = [a, b, c, amplitude * gain, offset, knee, compression, range];
                for (int k = 0; k < np; k++) theta[k * n + e] = column[k];
            }
            return new Layer(layer.TStart, layer.TEnd, model, layer.Edges, theta);
        }).ToList();
        return ideal.With(layers: layers);
    }

    /// <summary>Refuses a design with a device model no cell maps (it has no cell imperfections to perturb).</summary>
    public static void Check(Design design)
    {
        foreach (var layer in design.Layers)
        {
            try
            {
                CellKind.For(layer.Model);
                if (layer.Edges.Count > 0) CellKind.AffineOf(layer.Model, layer.ParametersOf(0));
            }
            catch (NotSupportedException e)
            {
                throw new KirchhoffHwException(design.Name, $"device model {layer.Model.Name}: {e.Message}, so it has no cell imperfections to sweep");
            }
        }
    }

    private static double Normal(Random r)
    {
        double u1 = 1 - r.NextDouble(), u2 = r.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}

/// <summary>
/// A device law as a perturbed cell computes it (<see cref="Tolerances.Apply"/>); solved by the software reference
/// only, so it has no netlist form. Parameters: a, b, c, amplitude, input offset, knee width, compression, range U.
/// </summary>
public sealed class PerturbedCellModel : DeviceModel
{
    private readonly (Model.Devices.Shape Shape, double Weight)[] _parts;

    public PerturbedCellModel(DeviceModel ideal)
    {
        Ideal = ideal;
        _parts = CellKind.For(ideal).Parts.Select(p => (p.Topology.ShapeOf(p.Operation), p.Weight)).ToArray();
        Name = ideal.Name + "_perturbed";
    }

    public DeviceModel Ideal { get; }
    public override string Name { get; }
    public override string Equation => $"perturbed cell of {Ideal.Name}: amp * sum_j w_j * T_j(a*vs + b*vd + c + offset)";
    public override IReadOnlyList<string> ParameterNames { get; } = ["a", "b", "c", "amp", "offset", "knee", "compression", "range"];
    public override DeviceFamily Family => Ideal.Family;
    public override bool DependsOnDifferenceOnly => false;
    public override Expr Law => throw new InvalidOperationException("a perturbed cell law is solved in software only; it has no netlist form");

    public override double Current(double vs, double vd, ReadOnlySpan<double> p) => p[3] * Shape(p[0] * vs + p[1] * vd + p[2] + p[4], p);

    private double Shape(double u, ReadOnlySpan<double> p)
    {
        double knee = p[5], q = p[6], range = p[7], sum = 0;
        foreach (var (shape, weight) in _parts)
            sum += weight * (shape == Model.Devices.Shape.Relu ? Relu(u, knee) : Shapes.Apply(shape, u));
        if (q != 0) sum *= Math.Max(0, 1 - q * (u / range) * (u / range));
        return sum;
    }

    /// <summary>max(u, 0), or its softplus of width w (written so neither branch overflows).</summary>
    private static double Relu(double u, double w) =>
        w <= 0 ? Math.Max(u, 0) : Math.Max(u, 0) + w * Math.Log(1 + Math.Exp(-Math.Abs(u) / w));

    public override (double DVs, double DVd) Gradient(double vs, double vd, ReadOnlySpan<double> p)
    {
        double u = p[0] * vs + p[1] * vd + p[2] + p[4], h = 1e-7 * Math.Max(1, Math.Abs(u));
        double d = p[3] * (Shape(u + h, p) - Shape(u - h, p)) / (2 * h);
        return (d * p[0], d * p[1]);
    }
}
