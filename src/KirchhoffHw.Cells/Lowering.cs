using KirchhoffHw.Generate;
using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Generate.Templating;
using KirchhoffHw.Model;

namespace KirchhoffHw.Cells;

/// <summary>The circuit a fidelity asks for: the design whose laws the deck writes, and the netlist replacing its banks (transistor only).</summary>
public sealed record Lowered(Fidelity Fidelity, Design Circuit, IDeviceNetlist? Netlist, CellLibrary? Library)
{
    /// <summary>The fidelity the circuit was built at, with the technology and corner of its cells.</summary>
    public CircuitFidelity Built => Library is null || Fidelity == Fidelity.Ideal ? CircuitFidelity.Ideal
        : CircuitFidelity.Of(Fidelity, Library.Tech.Name, Library.Tech.Corner);

    /// <summary>The supply rails (V, from node 0) the node voltages must stay inside: the technology's for MOS cells, none for ideal laws.</summary>
    public (double Low, double High)? Rails => Built.UsesCells ? (Library!.Tech.Vss, Library.Tech.Vdd) : null;

    /// <summary>
    /// Spice options with the transistor netlist attached when there is one. Its phase edges are at least 1e-3 of a
    /// time unit: a transistor tail switched in femtoseconds (the ideal deck's 1e-6) stalls ngspice's step control.
    /// </summary>
    public SpiceOptions Apply(SpiceOptions spice) => Netlist switch
    {
        null => spice,
        RegulatedNetlist => spice with
        {
            Devices = Netlist, PhaseEdge = Math.Max(spice.PhaseEdge, RegulatedNetlist.Ramp),
            SimulatorOptions = RegulatedNetlist.SimulatorOptions(Circuit.Units, spice.SimulatorOptions),
            Notes = RegulatedNetlist.CapacitanceBoost(Circuit) is var boost and > 1
                ? [.. spice.Notes, $"every device current and node capacitance is {Numbers.Format(boost)} times the design's (the same dv/dt = I / C): the cells' own capacitance or the unit cell's smallest bias asks for it"]
                : spice.Notes,
        },
        _ => spice with { Devices = Netlist, PhaseEdge = Math.Max(spice.PhaseEdge, 1e-3) },
    };
}

/// <summary>
/// The lowering passes ideal -> macro -> transistor. Macro replaces each layer's device model by its fitted
/// cell (<see cref="CellMacroModel"/>) with per-device realized parameters, so the reference, the deck writer and
/// the verifier all run it unchanged. Transistor keeps the ideal design for nodes, phases and inputs and hands
/// the deck writer a netlist of transistor cells sized from the same fit.
/// </summary>
public static class Lowering
{
    /// <param name="ranges">Largest |voltage| (model units) of each node in each layer's time slice, from <see cref="OperatingRange"/>: sets each device's input range and so its gain and bias. Null = 1 everywhere.</param>
    public static Lowered Lower(Design ideal, Fidelity fidelity, CellLibrary? library, NodeRanges? ranges = null, TemplateSet? templates = null)
    {
        if (fidelity == Fidelity.Ideal) return new Lowered(fidelity, ideal, null, library);
        ArgumentNullException.ThrowIfNull(library);
        var range = ranges ?? OperatingRange.Uniform(ideal, 1.0);
        if (fidelity == Fidelity.Macro) return new Lowered(fidelity, PinMacro(ideal, library, range), null, library);
        // the v2 cells where they build every layer's law; the per-device OTA and rectifier cells otherwise
        IDeviceNetlist netlist = RegulatedNetlist.Builds(ideal)
            ? new RegulatedNetlist(library.Tech, templates)
            : new TransistorNetlist(library, templates ?? TemplateSet.Default, range);
        return new Lowered(fidelity, ideal, netlist, library);
    }

    /// <summary>Input range of device e of a layer, from its terminals' node ranges.</summary>
    public static double DeviceRange(Layer layer, int e, double[] p, IReadOnlyList<double> nodeRange) =>
        CellLibrary.InputRange(layer.Model, p, nodeRange[layer.Edges.Source[e]], nodeRange[layer.Edges.Destination[e]]);

    /// <summary>
    /// Every layer's devices as their pin-level cells (<see cref="PinMacroModel"/>): per device its input network
    /// (a, b, c), and per part the gain, realized amplitude (bias / current scale, clamped to the technology as built) and
    /// orientation; the pin tables are read at the design's volts per unit.
    /// </summary>
    public static Design Macro(Design ideal, CellLibrary library, NodeRanges ranges) =>
        Sized(ideal, library, ranges,
            layer => new PinMacroModel(layer.Model, CellKind.For(layer.Model).Parts.Select(library.PinFitOf).ToArray(), Names.Identifier(library.Tech.Name), ideal.Units.VoltageScale),
            (q, amplitude, sizes) =>
            {
                for (int j = 0; j < sizes.Length; j++)
                {
                    q[PinMacroModel.Gain(j)] = sizes[j].Gain;
                    q[PinMacroModel.Amplitude(j)] = Math.Sign(amplitude) * sizes[j].BiasCurrent / ideal.Units.CurrentScale;
                    q[PinMacroModel.Reversed(j)] = amplitude < 0 ? 1 : 0;
                }
            });

    /// <summary>
    /// The pin-level law of the cells the transistor deck builds: the v2 cells' (<see cref="RegulatedPinLaw"/>, drivers'
    /// curve included) for designs <see cref="RegulatedNetlist.Builds"/> accepts, the per-device cells' (<see cref="Macro"/>) otherwise.
    /// </summary>
    public static Design PinMacro(Design ideal, CellLibrary library, NodeRanges ranges) =>
        RegulatedNetlist.Builds(ideal) ? library.Regulated.Lower(ideal, Names.Identifier(library.Tech.Name)) : Macro(ideal, library, ranges);

    /// <summary>
    /// The two-terminal macro law (<see cref="CellMacroModel"/>: one current, the mean of the pins at 0 V): kept to
    /// measure what the pin-level model adds.
    /// </summary>
    public static Design TwoTerminalMacro(Design ideal, CellLibrary library, NodeRanges ranges) =>
        Sized(ideal, library, ranges,
            layer => new CellMacroModel(layer.Model, CellKind.For(layer.Model).Parts.Select(library.FitOf).ToArray(), Names.Identifier(library.Tech.Name)),
            (q, amplitude, sizes) =>
            {
                for (int j = 0; j < sizes.Length; j++)
                {
                    q[3 + 2 * j] = sizes[j].Gain;
                    q[4 + 2 * j] = Math.Sign(amplitude) * sizes[j].BiasCurrent / ideal.Units.CurrentScale;
                }
            });

    /// <summary>
    /// Every device sized once for its cell (<see cref="CellLibrary.Size"/> over its input range) and written as the
    /// macro model's parameter column: a, b, c first, then what <paramref name="parts"/> writes of the sizes.
    /// </summary>
    private static Design Sized(Design ideal, CellLibrary library, NodeRanges ranges, Func<Layer, KirchhoffHw.Model.Devices.DeviceModel> cellModel,
        Action<double[], double, PartSizing[]> parts)
    {
        var layers = ideal.Layers.Select((layer, li) =>
        {
            var nodeRange = ranges.For(li);
            var model = cellModel(layer);
            int n = layer.Edges.Count, np = model.ParameterCount;
            var theta = new double[np * n];
            Parallel.For(0, n, e =>
            {
                var p = layer.ParametersOf(e);
                var (a, b, c, amplitude) = CellKind.AffineOf(layer.Model, p);
                var q = new double[np];
                (q[0], q[1], q[2]) = (a, b, c);
                parts(q, amplitude, library.Size(layer.Model, p, ideal.Units, DeviceRange(layer, e, p, nodeRange)));
                for (int i = 0; i < np; i++) theta[i * n + e] = q[i];
            });
            return new Layer(layer.TStart, layer.TEnd, model, layer.Edges, theta);
        }).ToList();
        return ideal.With(layers: layers);
    }

    /// <summary>
    /// The calibration student: <paramref name="design"/> (the trained teacher) at <paramref name="units"/> with
    /// <paramref name="voltageScale"/> volts per unit, lowered onto the pin-level cells of <paramref name="tech"/>
    /// (characterized through <paramref name="characterizer"/>, default ngspice with the on-disk cache), each device
    /// sized over the range its nodes reach on <paramref name="inputs"/> (none: 1 unit everywhere), with the bounds
    /// its parameters may move in and stay buildable (<see cref="PinLevelBounds"/>).
    /// </summary>
    public static PinLevelMacro ToPinLevelMacro(Design design, Technology tech, Units units, double voltageScale,
        IReadOnlyList<double[]>? inputs = null, ICharacterizer? characterizer = null) =>
        ToPinLevelMacro(design, CellLibrary.Build(tech, characterizer ?? new Characterizer(tech)), units, voltageScale, inputs);

    /// <inheritdoc cref="ToPinLevelMacro(Design, Technology, Units, double, IReadOnlyList{double[]}?, ICharacterizer?)"/>
    public static PinLevelMacro ToPinLevelMacro(Design design, CellLibrary library, Units units, double voltageScale, IReadOnlyList<double[]>? inputs = null)
    {
        var scaled = design.With(units: units with { VoltageScale = voltageScale });
        var ranges = inputs is { Count: > 0 } ? OperatingRange.Of(scaled, inputs) : OperatingRange.Uniform(scaled, 1.0);
        var student = PinMacro(scaled, library, ranges);
        bool v2 = RegulatedNetlist.Builds(scaled);
        return new PinLevelMacro(student, library, ranges, PinLevelBounds.Of(student, library, v2 ? RegulatedNetlist.MapDevices(scaled) : null,
            v2 ? RegulatedNetlist.CapacitanceBoost(scaled) : 1));
    }
}

/// <summary>A design lowered onto its pin-level cells, with what it was sized over and how far its parameters may move.</summary>
/// <param name="Bounds">Per layer, laid out like its theta (lower == upper: fixed): what calibration may change and stay buildable.</param>
public sealed record PinLevelMacro(Design Student, CellLibrary Library, NodeRanges Ranges, IReadOnlyList<(double[] Lower, double[] Upper)> Bounds);

/// <summary>
/// What a pin-level cell can realize, per parameter of <see cref="PinMacroModel"/>:
/// - amplitude: the bias the technology can build, |amp| * current scale within the smallest and largest tail current
///   (<see cref="CellLibrary.BiasLimits"/>), its sign (the cell's orientation) kept;
/// - a, b, c: the input network forms g (a vs + b vd + c) as a differential gate voltage from weights it realizes by
///   sizing; each may move by <see cref="InputWidth"/> x (|value| + the layer's RMS of that weight), so a weight
///   trained to 0 can still move and none leaves the scale its layer's networks are built for;
/// - gain and orientation are fixed (the gain is set by the device's range, the orientation by its wiring).
/// The v2 cells (a law with the drivers' curve) are bounded by what their deck realizes instead: the bias within the
/// unit's [min, max] scale (<see cref="RegulatedFamily.Deck"/>, at the deck's boost) and c within the input stage's
/// standing current (beyond it the deck clamps the standing copies).
/// </summary>
public static class PinLevelBounds
{
    public const double InputWidth = 0.5;

    /// <param name="v2">The v2 deck's devices (<see cref="RegulatedNetlist.MapDevices"/>) when the student is the v2 law.</param>
    /// <param name="boost">The v2 deck's factor on every current (<see cref="RegulatedNetlist.CapacitanceBoost"/>).</param>
    public static IReadOnlyList<(double[] Lower, double[] Upper)> Of(Design student, CellLibrary library, IReadOnlyList<RegulatedDevice>? v2 = null, double boost = 1)
    {
        var (minBias, maxBias) = library.BiasLimits();
        double currentScale = student.Units.CurrentScale;
        return student.Layers.Select((layer, li) =>
        {
            if (layer.Model is not PinMacroModel model)
                throw new ArgumentException($"layer model {layer.Model.Name} is not a pin-level cell", nameof(student));
            var lower = (double[])layer.Theta.Clone();
            var upper = (double[])layer.Theta.Clone();
            int n = layer.Edges.Count;
            foreach (int k in new[] { PinMacroModel.A, PinMacroModel.B, PinMacroModel.C }) layer.BoundAround(k, InputWidth, lower, upper);
            bool regulated = model.Input is not null && v2 is not null;
            for (int j = 0; j < model.Parts.Count; j++)
            {
                int ka = PinMacroModel.Amplitude(j);
                for (int e = 0; e < n; e++)
                {
                    double amp = layer.Theta[ka * n + e];
                    if (amp == 0) continue; // a device with no cell stays without one
                    double lo = minBias / currentScale, hi = maxBias / currentScale;
                    if (regulated)
                    {
                        // a part's share of the device's first part (the leaky mirror's slope) stays as drawn
                        double share = Math.Abs(amp / layer.Theta[PinMacroModel.Amplitude(0) * n + e]), unit = RegulatedFamily.Deck.Bias / (currentScale * boost);
                        (lo, hi) = (share * RegulatedFamily.Deck.MinScale * unit, share * RegulatedFamily.Deck.MaxScale * unit);
                    }
                    (lower[ka * n + e], upper[ka * n + e]) = amp > 0 ? (lo, hi) : (-hi, -lo);
                }
            }
            if (regulated && model.Family == KirchhoffHw.Model.Devices.DeviceFamily.Tanh)
            {
                var fig = RegulatedFamily.Characterized;
                var input = RegulatedFamily.Units.First(u => u.Name == RegulatedFamily.Deck.InputUnit).Input!;
                double beta = input.StandingCurrent / fig.LineCurrent, gamma = fig.Kappa * fig.S / fig.LineCurrent;
                foreach (var dev in v2!.Where(d => d.Layer == li))
                {
                    // |gamma c g| < beta with g = 1 + rho (|r_a| + |r_b|), the pre-scale of the drawn ratios
                    double g = 1 + fig.Compression * (Math.Abs(dev.SourceRatio) + Math.Abs(dev.DestinationRatio)), limit = beta / (gamma * g);
                    int k = PinMacroModel.C * n + dev.Edge;
                    lower[k] = Math.Max(lower[k], -limit);
                    upper[k] = Math.Min(upper[k], limit);
                    if (lower[k] > upper[k]) lower[k] = upper[k] = Math.Clamp(layer.Theta[k], -limit, limit);
                }
            }
            return (lower, upper);
        }).ToList();
    }
}
