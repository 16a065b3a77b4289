using KirchhoffHw.Model;

namespace KirchhoffHw.Cells;

/// <summary>Core of a v2 device: pMOS pair and tail (m, at the unit bias; widths scale with k = bias / unit bias).</summary>
public sealed record CoreSizing(double PairWidth, double PairLength, double TailWidth, double TailLength);

/// <summary>
/// Input stage of a v2 device: standing current per side, common gate, MOS-triode load (gate at vdd) and the copy unit
/// (the drivers' line reference size). A MOS-triode load cannot be made much more resistive than this at L &lt;= 10 um,
/// so the input stage does not scale below its unit's current.
/// </summary>
public sealed record InputSizing(double StandingCurrent, double CommonGateWidth, double CommonGateLength, double LoadWidth, double LoadLength,
    double CopyWidth, double CopyLength);

/// <summary>Regulated copies, followers and amplifiers of the output stage and the drivers (m, per unit of bias).</summary>
public sealed record RegulatedSizing(double Wn, double Wp, double Lm, double Wcn, double Wcp, double Lc, double Wa, double La,
    double Wbn, double Wbp, double Lb, double Wr, double Lr);

/// <summary>
/// The input driver: pair (Wi, Li), pair tail (Wt, at the bias length), a unit of the lines' diode references (Wf, Lf),
/// the pMOS lines' follower (Wo, Lo), and the current source of each fold in units of the small bias
/// (<paramref name="FoldSource"/>: every fold carries at least FoldSource less the pairs' tails, about 5.2).
/// </summary>
public sealed record DriverSizing(double Wi, double Li, double Wt, double Wf, double Lf, double Wo, double Lo, double FoldSource);

/// <summary>
/// One unit cell of the v2 family, sized for one inversion level. A device of bias I uses the unit whose range holds I
/// and scales its core's widths by k = I / <see cref="Bias"/>.
/// </summary>
/// <param name="Inversion">weak, moderate or strong, as the core pair works at the unit bias.</param>
/// <param name="Small">Bias current (A) of the followers and amplifiers of a regulated copy.</param>
/// <param name="Vq">Drain voltage (V from its rail) of every regulated copy.</param>
/// <param name="Vk">Cascode room of the followers (V).</param>
public sealed record UnitCell(string Name, string Inversion, double Bias, double MinScale, double MaxScale, CoreSizing Core,
    InputSizing? Input, RegulatedSizing Reg, DriverSizing? Driver, double Small, double Vq, double Vk, string InputUnit)
{
    /// <summary>
    /// The output stages' bias block current in units of <see cref="Small"/>: their followers' and amplifiers' loops
    /// settle in proportion to it (the drivers keep <see cref="Small"/>). Every width stays, so the bias voltages'
    /// replicas follow and the copies' ratios hold; the per-side trims and stage figures are measured at it.
    /// </summary>
    public double StageBias { get; init; } = 1;

    /// <summary>Compensation capacitor (F per unit of stage scale k) on each of the output stage's four line gates.</summary>
    public double StageCompensation { get; init; }

    public double MinBias => Bias * MinScale;
    public double MaxBias => Bias * MaxScale;
}

/// <summary>What the unit bench measured for one unit (ngspice 39, the shipped card), the numbers the deck is built from.</summary>
/// <param name="S">Core input scale: the differential line current (A) per model unit of u at the unit's input stage.</param>
/// <param name="LineCurrent">Standing current I_P0 (A) of a driver line at 0 V.</param>
/// <param name="Kappa">Driver transconductance: line current change per volt, per unit of standing current.</param>
/// <param name="Amplitude">Saturated output per unit of core bias (the tanh amplitude).</param>
/// <param name="Compression">Input-stage compression: the cell's u shrinks as 1 / (1 + rho sum |r|) with its copy ratios r.</param>
/// <param name="TrimTo">Width trim of the pMOS copies of pin `to` (and <paramref name="TrimFrom"/> of pin `from`); with the nMOS copies'
/// trims (<see cref="UnitFigures.TrimToN"/>, <see cref="UnitFigures.TrimFromN"/>) it zeroes the mismatch at balance and sets each pin's gain to one.</param>
/// <param name="PinCapacitance">Output pin capacitance (F) of the output stage at k = 1.</param>
/// <param name="DriverCapacitance">Input capacitance (F) of one driver at k = 1.</param>
/// <param name="MismatchAtBalance">|I(to) - I(from)| at balance after the trim, fraction of bias, worst over the pin swing.</param>
/// <param name="OutputConductance">Largest d I(pin) / d V(pin), fraction of bias per volt, over the pin swing.</param>
/// <param name="Swing">The pin swing (V, symmetric) both figures hold over.</param>
/// <param name="TanhMaxError">Largest |cell - A tanh(u)| over the characterized range, fraction of the amplitude.</param>
public sealed record UnitFigures(double S, double LineCurrent, double Kappa, double Amplitude, double Compression, double TrimTo, double TrimFrom,
    double PinCapacitance, double DriverCapacitance, double MismatchAtBalance, double OutputConductance, double Swing, double TanhMaxError)
{
    /// <summary>Width trim of the nMOS copies of pin `to` (1: untrimmed).</summary>
    public double TrimToN { get; init; } = 1;

    /// <summary>Width trim of the nMOS copies of pin `from` (1: untrimmed).</summary>
    public double TrimFromN { get; init; } = 1;

    /// <summary>Seconds for the slower of a driver's two lines to settle within 1 % of a 50 mV node step (bench/drvstep.py, twomoon's fan-out).</summary>
    public double? DriverSettle { get; init; }

    /// <summary>Seconds for an output stage's node current to settle within 1 % of a step of its inputs (bench/osstep.py, twomoon's stages).</summary>
    public double? OutputStageSettle { get; init; }

    /// <summary>Seconds for a device's output current to settle within 1 % of a step of its input lines (its input stage and core).</summary>
    public double? InputStageSettle { get; init; }

    /// <summary>
    /// The delay (s) a slow node signal takes through a cell: driver, input stage and output stage in a chain, each the
    /// first-order stage that settles to 1 % in its measured time (tau = t / ln 100); a chain of such stages delays a
    /// signal slow against them by the sum of their time constants (Elmore). A stage not measured counts 0.
    /// </summary>
    public double SettlingLag => ((DriverSettle ?? 0) + (InputStageSettle ?? 0) + (OutputStageSettle ?? 0)) / Math.Log(100);
}

/// <summary>One measured figure of a cell family, as the report and the benches state it.</summary>
public sealed record CellFigure(string Cell, string Figure, double Value, string Unit, string Source);

/// <summary>
/// The v2 unit family (designed for the shipped ptm45hp card: 90 nm .. 100 um widths, 45 nm .. 10 um lengths): one unit
/// per two decades of bias, so every bias from 1 nA to 1 mA is some unit's k in [0.1, 10], which keeps every scaled
/// width inside the width limits. Longer channels at lower currents keep the output resistance and the matching.
/// </summary>
public static class RegulatedFamily
{
    private static readonly InputSizing Input1u = new(0.5e-6, 2e-6, 200e-9, 0.1e-6, 4e-6, 0.5e-6, 250e-9);

    public static readonly UnitCell Weak = new("w10n", "weak", 10e-9, 0.1, 10,
        new CoreSizing(1e-6, 1e-6, 1e-6, 4e-6), null,
        new RegulatedSizing(1e-6, 2e-6, 1e-6, 1e-6, 1e-6, 200e-9, 1e-6, 2e-6, 1e-6, 2e-6, 4e-6, 0.5e-6, 200e-9),
        null, 1e-9, 0.05, 0.15, "m1u");

    public static readonly UnitCell Moderate = new("m1u", "weak/moderate", 1e-6, 0.1, 10,
        new CoreSizing(4e-6, 200e-9, 2e-6, 1e-6), Input1u,
        new RegulatedSizing(1e-6, 2e-6, 250e-9, 1e-6, 1e-6, 100e-9, 0.5e-6, 500e-9, 0.5e-6, 1e-6, 2e-6, 0.5e-6, 200e-9),
        new DriverSizing(1e-6, 500e-9, 0.5e-6, 0.5e-6, 250e-9, 0.5e-6, 500e-9, 8), 100e-9, 0.05, 0.15, "m1u")
    {
        // the stage's loops settle faster with this bias but its mismatch, output conductance and gain error grow with
        // it: 3 x keeps mismatch at balance <= 0.1 % of bias over the swing (4 x reaches 0.101 %); the capacitor damps
        // the followers' ringing at it
        StageBias = 3, StageCompensation = 10e-15,
    };

    public static readonly UnitCell Strong = new("s100u", "moderate/strong", 100e-6, 0.1, 10,
        new CoreSizing(10e-6, 100e-9, 10e-6, 200e-9), new InputSizing(50e-6, 10e-6, 100e-9, 1e-6, 1e-6, 4e-6, 200e-9),
        new RegulatedSizing(10e-6, 10e-6, 100e-9, 10e-6, 10e-6, 100e-9, 2e-6, 200e-9, 2e-6, 4e-6, 500e-9, 0.5e-6, 200e-9),
        new DriverSizing(4e-6, 200e-9, 2e-6, 4e-6, 200e-9, 2e-6, 200e-9, 8), 10e-6, 0.10, 0.15, "s100u");

    /// <summary>Lowest bias first.</summary>
    public static IReadOnlyList<UnitCell> Units { get; } = [Weak, Moderate, Strong];

    /// <summary>
    /// The unit the transistor deck builds every device from, and its measured figures (unit bench of docs/cells.md,
    /// v2 section). The other units are sized (and their output stages measured) but their input stage is not yet
    /// characterized, so a deck uses this one and clamps a device outside its range (reported per device).
    /// </summary>
    public static UnitCell Deck => Moderate;

    public static readonly UnitFigures Characterized = new(
        S: 9.30995e-07, LineCurrent: 5.09998e-07, Kappa: 0.19281569560971404, Amplitude: 1.0075066639770227,
        Compression: 0.006709356827020788, TrimTo: 0.9901300523, TrimFrom: 0.9901300523,
        PinCapacitance: 3.13e-15, DriverCapacitance: 4.536e-14,
        MismatchAtBalance: 8.0e-4, OutputConductance: 0.00512, Swing: 0.35, TanhMaxError: 0.009625182381731521)
    {
        TrimToN = 1.009081726, TrimFromN = 1.009081726,
        DriverSettle = 22.7e-9, OutputStageSettle = 9.0e-9,
    };

    /// <summary>
    /// Largest share of a design's shortest layer the cells' lag may take for the macro law to carry it: the first-order
    /// lag (the devices see v - lag dv/dt) holds while the lag is small against the dynamics, and a layer is the longest
    /// any dynamics of the design last. Beyond it the law is solved as settling at once, and says so.
    /// </summary>
    public const double MaxLagShare = 0.1;

    /// <summary>
    /// The deck's cells' settling (<see cref="UnitFigures.SettlingLag"/>) in <paramref name="design"/>'s time units, and what
    /// the macro law does with it: the lag, or 0 when it exceeds <see cref="MaxLagShare"/> of the shortest layer.
    /// </summary>
    public static (double Lag, string Note) LagIn(Design design)
    {
        double seconds = Characterized.SettlingLag, lag = seconds / design.Units.TimeUnit;
        double shortest = design.Layers.Count == 0 ? double.PositiveInfinity : design.Layers.Min(l => l.Duration);
        var stages = new[] { ("driver", Characterized.DriverSettle), ("input stage", Characterized.InputStageSettle), ("output stage", Characterized.OutputStageSettle) }
            .Where(p => p.Item2 is not null).Select(p => p.Item1);
        string what = $"the cells settle with a lag of {seconds:G3} s ({lag:G3} time units, from the measured settling of the {string.Join(", ", stages)})";
        if (!(lag > 0)) return (0, "the cells' settling is not measured: the law is solved as settling at once");
        return lag <= MaxLagShare * shortest
            ? (lag, what + ": every device sees the node voltages that late, to first order")
            : (0, what + $", over {MaxLagShare:P0} of the shortest layer ({shortest:G3}), beyond the first-order lag model: the law is solved as settling at once, " +
                $"and does not predict the transistor deck at this time unit (it carries the lag from {FastestLaggedTimeUnit(design):G3} s per time unit on)");
    }

    /// <summary>The fastest time unit (s) at which the macro law carries the cells' settling for <paramref name="design"/>'s layers.</summary>
    public static double FastestLaggedTimeUnit(Design design) =>
        design.Layers.Count == 0 ? 0 : Characterized.SettlingLag / (MaxLagShare * design.Layers.Min(l => l.Duration));

    /// <summary>What the deck's unit was measured to do (<see cref="Characterized"/>), the figures issue-style: per cell, with its bench.</summary>
    public static IReadOnlyList<CellFigure> Figures()
    {
        var f = Characterized;
        string unit = $"v2 {Deck.Name}";
        const string dc = "DC sweeps of the unit bench after the per-side trim (docs/cells.md, v2 section)";
        var list = new List<CellFigure>
        {
            new($"{unit} output stage", "to/from mismatch at balance", f.MismatchAtBalance, "of bias", dc),
            new($"{unit} output stage", $"output conductance over +-{f.Swing:G3} V", f.OutputConductance, "of bias per V", dc),
            new($"{unit} output stage", "pin capacitance", f.PinCapacitance, "F", "AC of the unit bench"),
            new($"{unit} core", "tanh fit, largest error", f.TanhMaxError, "of amplitude", dc),
            new($"{unit} input stage", "compression rho", f.Compression, "per unit of summed ratio", dc),
            new($"{unit} driver", "input capacitance", f.DriverCapacitance, "F", "AC of the unit bench"),
        };
        if (f.DriverSettle is { } d) list.Add(new($"{unit} driver", "lines within 1 % of a step", d, "s", "bench/drvstep.py"));
        if (f.InputStageSettle is { } i) list.Add(new($"{unit} input stage", "device current within 1 % of a step", i, "s", "bench/instep.py"));
        if (f.OutputStageSettle is { } o) list.Add(new($"{unit} output stage", "node current within 1 % of a step", o, "s", "bench/osstep.py"));
        return list;
    }

    /// <summary>
    /// Reference voltages of the drivers' ten pairs as fractions of the supply span around its midpoint (placed for the
    /// least INL of the multi-tanh sum over 90 % of the span); the two outer pairs carry <see cref="DriverEndWeight"/>.
    /// </summary>
    public static readonly double[] DriverCenters = [-0.4789, -0.3710, -0.2635, -0.1568, -0.0513, 0.0513, 0.1568, 0.2635, 0.3710, 0.4789];
    public const double DriverEndWeight = 1.0886;

    /// <summary>BSIM's effective width is the drawn width less 2 wint (5 nm in the card): a copy drawn this way carries exactly r times its reference's current.</summary>
    public const double Wint = 5e-9;

    public static double RatioWidth(double r, double w) => r * (w - 2 * Wint) + 2 * Wint;

    /// <summary>The unit whose bias range holds <paramref name="bias"/> (A), or null outside the family.</summary>
    public static UnitCell? UnitFor(double bias) => Units.FirstOrDefault(u => bias >= u.MinBias * (1 - 1e-12) && bias <= u.MaxBias * (1 + 1e-12));

    /// <summary>Why <paramref name="bias"/> cannot be built in <paramref name="tech"/> by this family (null when it can).</summary>
    public static string? Problem(double bias, Technology tech)
    {
        if (bias < tech.MinBiasCurrent) return $"bias {bias:G3} A is below the technology's minimum {tech.MinBiasCurrent:G3} A";
        if (bias > tech.MaxBiasCurrent) return $"bias {bias:G3} A is above the technology's maximum {tech.MaxBiasCurrent:G3} A";
        var u = UnitFor(bias);
        if (u is null) return $"bias {bias:G3} A is outside every unit cell ({Units[0].MinBias:G3} .. {Units[^1].MaxBias:G3} A)";
        double k = bias / u.Bias;
        double wmin = Math.Min(u.Core.PairWidth, u.Core.TailWidth) * k, wmax = Math.Max(u.Core.PairWidth, u.Core.TailWidth) * k;
        if (wmin < tech.MinWidth) return $"bias {bias:G3} A needs a {wmin:G3} m core width in unit {u.Name}, below the minimum {tech.MinWidth:G3} m";
        if (wmax > tech.MaxWidth) return $"bias {bias:G3} A needs a {wmax:G3} m core width in unit {u.Name}, above the maximum {tech.MaxWidth:G3} m";
        double lmax = Math.Max(u.Core.TailLength, u.Reg.Lb), lmin = Math.Min(u.Core.PairLength, u.Reg.Lc);
        if (lmax > tech.MaxLength || lmin < tech.MinLength) return $"unit {u.Name}'s lengths {lmin:G3} .. {lmax:G3} m are outside the technology's {tech.MinLength:G3} .. {tech.MaxLength:G3} m";
        return null;
    }
}
