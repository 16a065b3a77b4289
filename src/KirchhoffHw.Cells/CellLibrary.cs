using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Cells;

/// <summary>What one part of one device's cell is built as, and whether the technology allows it.</summary>
/// <param name="BiasCurrent">Tail current (A) of the part as built (after any clamping to the limits).</param>
/// <param name="RequiredBias">Tail current (A) the trained amplitude asks for.</param>
/// <param name="WidthScale">Widths of the unit cell multiplied by this.</param>
/// <param name="Problem">Why the part is not realizable as trained within the technology limits (null when it is).</param>
/// <param name="Gain">Input-network gain (V of differential gate voltage per model unit of u).</param>
public readonly record struct PartSizing(double BiasCurrent, double RequiredBias, double WidthScale, double NmosWidth, double PmosWidth, string? Problem, double Gain);

/// <summary>
/// The cells of one technology, characterized in ngspice and fitted: per device model its parts, fitted
/// shapes, and per device its sizes, biases and fit error. This is the lookup a report uses for area and power.
/// </summary>
public sealed class CellLibrary
{
    public Technology Tech { get; }
    /// <summary>Every registered topology's characterization, in registry order.</summary>
    public IReadOnlyDictionary<CellTopology, Characterization> Characterizations { get; }
    private readonly Dictionary<(CellTopology, Operation), PartFit> _fits;
    private readonly Dictionary<(CellTopology, Operation), PinFit> _pins;

    /// <summary>Every registered topology's output-side figures (mismatch, output conductance), in registry order.</summary>
    public IReadOnlyDictionary<CellTopology, OutputFigures> Figures { get; }

    /// <summary>Largest |u| the tanh fits cover: tanh(3) is within 0.5 % of its saturation.</summary>
    public const double TanhRange = 3.0;

    private readonly string? _cacheDir;
    private readonly Lazy<RegulatedPinLaw> _regulated;

    /// <summary>
    /// The v2 cells' pin law (<see cref="RegulatedPinLaw"/>), measured on first use (its DC bench in ngspice, cached beside
    /// the per-device characterizations): what macro fidelity and calibration use for designs the v2 deck builds.
    /// </summary>
    public RegulatedPinLaw Regulated => _regulated.Value;

    private CellLibrary(Technology tech, IReadOnlyDictionary<CellTopology, Characterization> chars, Dictionary<(CellTopology, Operation), PartFit> fits,
        string? cacheDir, RegulatedPinLaw? regulated = null)
    {
        Tech = tech;
        _cacheDir = cacheDir;
        _regulated = new Lazy<RegulatedPinLaw>(() => regulated ?? RegulatedPinLaw.Of(tech, _cacheDir), LazyThreadSafetyMode.ExecutionAndPublication);
        Characterizations = chars;
        _fits = fits;
        _pins = fits.ToDictionary(kv => kv.Key, kv => PinFit.Of(chars[kv.Key.Item1], kv.Value, tech.Vss, tech.Vdd));
        Figures = chars.ToDictionary(kv => kv.Key, kv => OutputFigures.Of(kv.Value));
    }

    /// <summary>
    /// Characterizes (or reads from the cache) every registered topology and fits each operation it realizes: a tanh
    /// over its own saturating range, a linear operation over |u| &lt;= 1 (it scales to each device's range).
    /// </summary>
    public static CellLibrary Build(Technology tech, ICharacterizer? characterizer = null)
    {
        characterizer ??= new Characterizer(tech);
        var chars = new Dictionary<CellTopology, Characterization>();
        var fits = new Dictionary<(CellTopology, Operation), PartFit>();
        foreach (var topology in CellTopologies.All)
        {
            var c = chars[topology] = characterizer.Get(topology);
            foreach (var (_, operation) in topology.Realizes)
                fits[(topology, operation)] = Fitter.Fit(c, operation, operation == Operation.Tanh ? TanhRange : 1.0);
        }
        return new CellLibrary(tech, chars, fits, (characterizer as Characterizer)?.CacheDir);
    }

    public PartFit FitOf(CellPart part) => _fits[(part.Topology, part.Operation)];
    public IEnumerable<PartFit> Fits => _fits.Values;

    /// <summary>The part's two output pins as tables of core input and pin voltage (the pin-level macro model's data).</summary>
    public PinFit PinFitOf(CellPart part) => _pins[(part.Topology, part.Operation)];
    public IEnumerable<PinFit> PinFits => _pins.Values;

    /// <summary>|u| = |a| Vs + |b| Vd + |c| at the largest node voltages the device's terminals see: its input range.</summary>
    public static double InputRange(DeviceModel model, ReadOnlySpan<double> p, double sourceRange, double destinationRange)
    {
        var (a, b, c, _) = CellKind.AffineOf(model, p);
        return Math.Max(1e-6, Math.Abs(a) * sourceRange + Math.Abs(b) * destinationRange + Math.Abs(c));
    }

    /// <summary>
    /// Sizes of each part of one device's cell; <paramref name="p"/> is the device's trained parameter column and
    /// <paramref name="range"/> its input range (<see cref="InputRange"/>; linear parts are scaled to it). Feasibility
    /// is the inversion-level family's (<see cref="RegulatedFamily"/>): one unit cell per two decades of bias, longer
    /// channels at low current, so every bias between the technology's limits is some unit's width scale within the
    /// width limits; the widths reported are that unit's core widths scaled to the bias.
    /// </summary>
    public PartSizing[] Size(DeviceModel model, ReadOnlySpan<double> p, Units units, double range)
    {
        var kind = CellKind.For(model);
        var (_, _, _, amplitude) = CellKind.AffineOf(model, p);
        var sizes = new PartSizing[kind.Parts.Count];
        var c = Tech.Cells;
        double kMin = Tech.MinBiasCurrent / c.UnitCurrent, kMax = Tech.MaxBiasCurrent / c.UnitCurrent;
        for (int j = 0; j < sizes.Length; j++)
        {
            var part = kind.Parts[j];
            double required = Math.Abs(amplitude) * part.Weight * FitOf(part).DeviceScale(range) * units.CurrentScale;
            double k = required / c.UnitCurrent;
            string? problem = null;
            if (required == 0) k = 0; // a zero device needs no cell at all
            else if (k < kMin)
            {
                problem = $"bias {required:G3} A is below what the technology allows ({Tech.MinBiasCurrent:G3} A, its weakest unit cell); built at the minimum";
                k = kMin;
            }
            else if (k > kMax)
            {
                problem = $"bias {required:G3} A is above what the technology allows ({Tech.MaxBiasCurrent:G3} A, its strongest unit cell); built at the maximum";
                k = kMax;
            }
            else problem = RegulatedFamily.Problem(required, Tech);
            double bias = k * c.UnitCurrent;
            var unit = RegulatedFamily.UnitFor(bias);
            double wn = unit is null ? k * c.NmosWidth : unit.Core.PairWidth * bias / unit.Bias;
            double wp = unit is null ? k * c.PmosWidth : unit.Core.TailWidth * bias / unit.Bias;
            sizes[j] = new PartSizing(bias, required, k, wn, wp, problem, FitOf(part).DeviceGain(range));
        }
        return sizes;
    }

    /// <summary>The smallest and largest tail current (A) a part can be built with: the limits <see cref="Size"/> clamps to.</summary>
    public (double Min, double Max) BiasLimits()
    {
        var c = Tech.Cells;
        double kMin = Math.Max(Tech.MinBiasCurrent / c.UnitCurrent, Tech.MinWidth / Math.Min(c.NmosWidth, c.PmosWidth));
        double kMax = Math.Min(Tech.MaxBiasCurrent / c.UnitCurrent, Tech.MaxWidth / Math.Max(c.NmosWidth, c.PmosWidth));
        return (kMin * c.UnitCurrent, kMax * c.UnitCurrent);
    }

    /// <summary>Quiescent supply current (A) of one device's cell: the static power is this times the supply span.</summary>
    public double BiasCurrent(DeviceModel model, ReadOnlySpan<double> p, Units units, double range)
    {
        var kind = CellKind.For(model);
        var sizes = Size(model, p, units, range);
        double sum = 0;
        for (int j = 0; j < sizes.Length; j++) sum += sizes[j].BiasCurrent * kind.Parts[j].Topology.SupplyFactor;
        return sum;
    }

    /// <summary>Layout area (m^2) of one device's cell: every transistor by the technology's area rule.</summary>
    public double CellArea(DeviceModel model, ReadOnlySpan<double> p, Units units, double range)
    {
        var kind = CellKind.For(model);
        var sizes = Size(model, p, units, range);
        double area = 0, l = Tech.Cells.Length;
        for (int j = 0; j < sizes.Length; j++)
        {
            if (sizes[j].WidthScale == 0) continue;
            int n = kind.Parts[j].Topology.Transistors;
            int pmos = kind.Parts[j].Topology.Pmos;
            area += pmos * Tech.TransistorArea(sizes[j].PmosWidth, l) + (n - pmos) * Tech.TransistorArea(sizes[j].NmosWidth, l);
        }
        return area;
    }

    /// <summary>
    /// The largest error (model units) one device's cell may show against its trained law when it is built as trained:
    /// each part's fitted error at the device's amplitude and input range, plus, for a saturating part, how far the target
    /// still rises beyond the fitted range (the cell is flat there). A device whose cell as sized misses by more is not
    /// built as trained: its bias was clamped to the technology, or its input leaves what the cell was fitted over.
    /// </summary>
    public double FitBound(DeviceModel model, ReadOnlySpan<double> p, double range)
    {
        var kind = CellKind.For(model);
        var (_, _, _, amplitude) = CellKind.AffineOf(model, p);
        double bound = 0;
        foreach (var part in kind.Parts)
        {
            var fit = FitOf(part);
            double tail = part.Operation == Operation.Tanh ? 1 - Math.Tanh(fit.Range) : 0;
            bound += Math.Abs(amplitude) * part.Weight * (fit.DeviceError(fit.MaxError, range) + tail);
        }
        return bound;
    }

    /// <summary>
    /// The fitted law of one device, in model units, as the macro model computes it: per part, realized
    /// amplitude (bias / current scale) x the characterized cell curve at the part's gain x the affine input.
    /// </summary>
    public double MacroCurrent(DeviceModel model, double vs, double vd, ReadOnlySpan<double> p, Units units, double range)
    {
        var kind = CellKind.For(model);
        var (a, b, cc, amplitude) = CellKind.AffineOf(model, p);
        var sizes = Size(model, p, units, range);
        double u = a * vs + b * vd + cc, sum = 0;
        for (int j = 0; j < sizes.Length; j++)
            sum += Math.Sign(amplitude) * sizes[j].BiasCurrent / units.CurrentScale * FitOf(kind.Parts[j]).Cell(sizes[j].Gain * u);
        return sum;
    }
}
