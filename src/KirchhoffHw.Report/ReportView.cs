using System.Globalization;
using KirchhoffHw.Verify;
using KirchhoffHw.Model;

namespace KirchhoffHw.Report;

// What the report templates print: every string is computed here, the templates only lay it out.
public sealed record Row(string Label, string Value, string Note = "");
/// <param name="Mark">Empty when the chip passes; otherwise what keeps it from passing ("not buildable"), shown with the figure.</param>
public sealed record HeadlineView(string Key, string Label, string Text, string Raw, string Mark, bool Marked);
public sealed record EstimateView(string Key, string Name, string Text, string Raw, string Formula, string Inputs);
public sealed record LayerView(string Index, string Model, string Devices, string Slice, string Transistors, string SupplyCurrent, string CellArea, string BiasRange, string OutOfRange);
public sealed record ModelView(string Model, string Devices, string TransistorsPerDevice, string SwitchesPerDevice, string Transistors, string Switches);
public sealed record SweepView(string TimeUnit, string Current, string Asked, string Built, string OutOfRange, string Feasible, string StaticPower, string Energy, string Latency, string Power, string Throughput, bool IsCurrent, bool Clamped);
public sealed record DigitalLayerView(string Index, string Model, string Devices, string OpsPerDevice, string Evaluations, string OpsPerEvaluation);
public sealed record CaseView(string Index, string Status, string Verdict, bool Passed, string Initial, string Boundary, string Sample, string Output, string Node, string Current, string Settle, string Failures);
public sealed record RunView(string Fidelity, string Status, string StatusClass, string Reason, IReadOnlyList<Row> Summary, IReadOnlyList<CaseView> Cases, IReadOnlyList<string> Failures, bool Ran);
public sealed record TimescaleView(string TimeUnit, string MaxOutputError, string RmsOutputError, string MeanSampleError, string Tolerance, string Cases, string Verdict, bool Passed, string Buildable, string File, bool IsFastest);
public sealed record PlotView(string Key, string Title, string Caption, string File, string DataUri, int Width, int Height);

public sealed record ReportView(
    string Design, string Source, string Task, string Generated, string Verdict, string VerdictClass,
    string VerdictHeadline, IReadOnlyList<string> VerdictReasons,
    IReadOnlyList<HeadlineView> Headlines,
    IReadOnlyList<Row> Units,
    IReadOnlyList<Row> Counts,
    IReadOnlyList<LayerView> Layers,
    IReadOnlyList<ModelView> Models,
    IReadOnlyList<Row> Inputs,
    IReadOnlyList<EstimateView> Estimates,
    string Feasibility,
    bool Infeasible,
    IReadOnlyList<SweepView> Sweep,
    string SweepNote,
    IReadOnlyList<Row> Digital,
    IReadOnlyList<DigitalLayerView> DigitalLayers,
    string DigitalFormula,
    IReadOnlyList<RunView> Verification,
    IReadOnlyList<Row> Ranges,
    string CellNote,
    IReadOnlyList<Row> CellFits,
    IReadOnlyList<PlotView> Plots,
    string Command, string InputOrigin, string Seed,
    IReadOnlyList<Row> Settings,
    IReadOnlyList<string> InputVectors)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>SI quantities with their prefix, fractions of a whole in percent, other ratios as they are.</summary>
    private static string FigureText(Cells.CellFigure f) => f.Unit switch
    {
        "s" or "F" => Format.Quantity(f.Value, f.Unit),
        "of bias" or "of amplitude" => $"{Format.Number(100 * f.Value)} % {f.Unit}",
        _ => $"{Format.Number(f.Value)} {f.Unit}",
    };

    /// <summary>The transistor cells' measured figures, one row each; empty when the design is not built in them.</summary>
    public IReadOnlyList<Row> CellFigures { get; init; } = [];

    /// <summary>The timescale measured by `verify --time-units`, one row per time unit; empty when none was given.</summary>
    public IReadOnlyList<TimescaleView> Timescale { get; init; } = [];

    /// <summary>What the measured timescale shows, in a sentence; empty when none was given.</summary>
    public string TimescaleNote { get; init; } = "";

    /// <summary>Whether the estimated sweep builds every device at <paramref name="timeUnit"/>; null when the sweep has no such decade.</summary>
    public static bool? Buildable(IReadOnlyList<SweepPoint> sweep, double timeUnit) =>
        sweep.FirstOrDefault(p => Math.Abs(Math.Log10(p.TimeUnit) - Math.Log10(timeUnit)) < 1e-9)?.Feasible;

    public static IReadOnlyList<TimescaleView> TimescaleRows(ChipReport r)
    {
        if (r.Timescale is not { } m) return [];
        string F(double? d) => d is { } x ? Format.Number(x) : "-";
        double? fastest = m.Sweep.FastestPassing;
        return m.Sweep.Points.Select(p => new TimescaleView(Format.Quantity(p.TimeUnit, "s"), F(p.MaxOutputError), F(p.RmsOutputError), F(p.MeanSampleError), F(p.Tolerance),
            p.Cases is { } c ? $"{p.Simulated ?? 0} of {c} simulated" : "-",
            p.Pass switch { true => "pass", false => "FAIL", null => "not co-simulated" }, p.Pass == true,
            Buildable(r.Sweep, p.TimeUnit) switch { true => "yes", false => "no", null => "-" }, p.Verdict, p.TimeUnit == fastest)).ToList();
    }

    public static string TimescaleText(ChipReport r)
    {
        if (r.Timescale is not { } m) return "";
        var t = m.Sweep;
        string fastest = t.FastestPassing is { } f ? $"The fastest time unit whose verdict passes is {Format.Quantity(f, "s")}."
            : "No time unit's verdict passes.";
        return $"Measured by `verify --time-units` ({m.File}): the design verified at {t.Fidelity} fidelity at {t.Points.Count} time units, " +
            $"C = {Format.Quantity(t.Capacitance, "F")} and V_s = {Format.Quantity(t.VoltageScale, "V")} held (the report's own). {fastest} " +
            "\"buildable\" is the estimated sweep's verdict at that decade (every device's cell within the sizing's limits; - where the sweep has no such decade or no cells were sized).";
    }

    /// <summary>A calibrated design's calibration: what it was calibrated for and against, and the held-out error before and after.</summary>
    public IReadOnlyList<Row> Calibration { get; init; } = [];

    public static IReadOnlyList<Row> CalibrationRows(CalibrationNote? note)
    {
        if (note is null) return [];
        var s = note.Summary;
        string E(HeldOutSummary e) => $"mean per-sample error {Format.Number(e.MeanSampleError)} ({(double.IsFinite(e.RelativeError) ? e.RelativeError.ToString("P2", Inv) : "-")} of the spread), " +
            $"largest output error {Format.Number(e.MaxAbsError)}{(e.ArgmaxKept is { } k ? $", argmax kept {k} of {s.HeldOutCases}" : "")}";
        return
        [
            new("trained network", note.Teacher.Model, $"sha256 {note.Teacher.ContentHash}"),
            new("student", $"{note.Student} of {note.Technology} ({note.Corner})", $"technology fingerprint {note.TechnologyFingerprint}"),
            new("calibrated for", $"C = {Format.Quantity(note.Units.Capacitance, "F")}, tau = {Format.Quantity(note.Units.TimeUnit, "s")}, V_s = {Format.Quantity(note.Units.VoltageScale, "V")}"),
            new("held-out error before", E(s.Before), $"{s.HeldOutCases} held-out inputs, at the student's fidelity"),
            new("held-out error after", E(s.After)),
            new("fit", $"{s.Status}: {s.Iterations} iterations, {s.Evaluations} evaluations, {s.Seconds.ToString("F1", Inv)} s",
                $"loss {Format.Number(s.Loss.Count > 0 ? s.Loss[0] : double.NaN)} -> {Format.Number(s.Loss.Count > 0 ? s.Loss[^1] : double.NaN)}; {s.FreeParameters} free parameters, {s.Trims} node trims, {s.TrainingCases} training inputs"),
        ];
    }

    /// <summary>The fan-in error budget: what each cell must hold for the chip to compute its network.</summary>
    public IReadOnlyList<Row> Budget { get; init; } = [];

    public static IReadOnlyList<Row> BudgetRows(ChipReport r)
    {
        if (r.Budget is not { } b) return [];
        var rows = new List<Row>
        {
            new("transistors", r.Counts.Sized ? r.Counts.Transistors.ToString("N0", Inv) : "-",
                r.Counts.Deck is not null ? r.Counts.TransistorOrigin
                    : $"{r.Counts.Devices.ToString("N0", Inv)} device cells and {r.Counts.Nodes.ToString("N0", Inv)} nodes' precharge switches"),
            new("largest fan-in", $"{b.MaxFanIn.ToString("N0", Inv)} devices on one node in one layer"),
            new("worst node", $"node {b.Node} in layer {b.Layer}: {b.FanIn.ToString("N0", Inv)} devices, peak currents summing to {Format.Number(b.PeakCurrentSum)} over a slice of {Format.Number(b.Duration)}",
                "model units; the node's capacitor integrates every device's error over the slice"),
            new("budget, systematic", $"every device within {Format.Number(b.Systematic)} of its peak current",
                $"keeps the worst node within the output tolerance {Format.Number(b.OutputTolerance)} when all devices err alike (e.g. an untrimmed mirror ratio)"),
            new("budget, random", $"every device within {Format.Number(b.Random)} of its peak current",
                "when the devices err independently (mismatch); kirchhoffhw tolerance measures it as the gain imperfection the network tolerates"),
        };
        if (b.SteepestInputKnee is { } knee)
            rows.Add(new("steepest device input", $"{Format.Number(knee)} model units = {Format.Quantity(knee * r.Units.VoltageScale, "V")}",
                $"the input swing over which the steepest device turns (1 / max |a|, |b|), at V_s = {Format.Quantity(r.Units.VoltageScale, "V")} per unit; a cell's input stage must resolve it"));
        return rows;
    }

    public static ReportView Of(ChipReport r)
    {
        var x = r.Inputs;
        string Q(double v, string unit) => Format.Quantity(v, unit);
        var counts = r.Counts;
        return new ReportView(
            r.Design, r.Source, r.Task.ToString().ToLowerInvariant(), r.Generated.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", Inv),
            r.Chip.Text, ClassOf(r.Chip.Status), r.Chip.Headline, r.Chip.Reasons.Select(x => x.Text).ToList(),
            r.Headlines.Select(h => new HeadlineView(h.Key, h.Label, Q(h.Value, h.Unit), Format.Raw(h.Value), r.Chip.Mark ?? "", r.Chip.Mark is not null)).ToList(),
            [
                new("capacitance C", Q(r.Units.Capacitance, "F")), new("time unit tau", Q(r.Units.TimeUnit, "s")),
                new("voltage scale V_s", Q(r.Units.VoltageScale, "V"), r.VoltageScale?.Describe() ?? "given"),
                new("current scale C V_s / tau", Q(r.Units.CurrentScale, "A"), "amperes per model current unit"),
            ],
            [
                new("nodes (besides ground)", Format.Count(counts.Nodes)), new("capacitors", Format.Count(counts.Capacitors), "one per node"),
                new("devices", Format.Count(counts.Devices)), new("outputs", Format.Count(counts.Outputs)),
                new("device transistors", Format.Count(counts.DeviceTransistors), "sum of N_m x T_m"),
                new("phase switches", Format.Count(counts.DeviceSwitches), "inside the cells (counted in their transistors): sum of N_m x S_m"),
                new("precharge switches", Format.Count(counts.PrechargeSwitches), $"{counts.PrechargeSwitchesPerNode} per node, {counts.TransistorsPerPrechargeSwitch} transistors each"),
                new("switches", Format.Count(counts.Switches)),
                new("transistors", Format.Count(counts.Transistors), counts.Deck is { } deck
                    ? $"counted in the transistor deck as written ({deck.Family}): {Format.Count(deck.DeviceTransistors)} in the devices' cells, " +
                      $"{Format.Count(deck.SharedTransistors)} in drivers, output stages, bias generators and precharge switches"
                    : "device cells + precharge switches"),
                ..(counts.Deck is null ? Array.Empty<Row>() : [new Row("transistors, cell figures", Format.Count(counts.EstimatedTransistors),
                    "the per-device cells of the cell figures (above and per layer) plus precharge switches: what the cell area, supply current and power estimates are sized from")]),
                new("cell figures", counts.CellOrigin),
            ],
            counts.Layers.Select(l => new LayerView(l.Index.ToString(Inv), l.Model, Format.Count(l.Devices),
                $"[{Format.Number(l.TStart)}, {Format.Number(l.TEnd)}]", Format.Count(l.Costs.Transistors), Q(l.Costs.SupplyCurrent, "A"), Q(l.Costs.CellArea, "m^2"),
                $"{Q(l.Costs.MinDeviceBias, "A")} .. {Q(l.Costs.MaxDeviceBias, "A")}", l.Costs.OutOfRange is { } n ? Format.Count(n) : "-")).ToList(),
            counts.Models.Select(m => new ModelView(m.Model, Format.Count(m.Devices), m.TransistorsPerDevice.ToString(Inv), m.SwitchesPerDevice.ToString(Inv),
                Format.Count(m.Transistors), Format.Count(m.Switches))).ToList(),
            [
                new("technology", x.TechName.Length == 0 ? "-" : x.TechName, x.TechSource),
                new("corner", x.Corner.Length == 0 ? "-" : x.Corner),
                new("Vdd / Vss", $"{Q(x.Vdd, "V")} / {Q(x.Vss, "V")}"),
                new("bias current range", $"{Q(x.MinBiasCurrent, "A")} .. {Q(x.MaxBiasCurrent, "A")}"),
                new("capacitor density rho_C", $"{Format.Number(x.CapacitorDensity)} F/m^2"),
                new("switch transistor area A_swt", Q(x.SwitchAreaM2, "m^2")),
                new("switch gate capacitance C_g", Q(x.SwitchGateCapacitance, "F")),
                new("routing overhead r_route", Format.Number(x.RoutingOverhead), "fraction added to cell, switch and capacitor area"),
                new("precharge", $"{Format.Number(x.PrechargeTimeConstants)} x R_on C, R_on = {Q(x.SwitchOnResistance, "Ohm")}"),
                new("read-out", $"t_adc = {Q(x.ReadoutTime, "s")}, E_adc = {Q(x.ReadoutEnergyPerOutput, "J")} per output"),
                new("peak device current I_pk", $"{Format.Number(r.PeakModelCurrent)} model units = {Q(r.PeakModelCurrent * r.Units.CurrentScale, "A")}",
                    $"largest |g| of any device on the reference trajectories of the report's {r.OperatingPointCases} cases"),
                ..x.Cells.Select(cell => new Row($"cell {cell.Model}", $"T = {cell.TransistorsPerDevice}, S = {cell.SwitchesPerDevice}, A_t = {Q(cell.TransistorAreaM2, "m^2")}", cell.Origin)),
            ],
            r.Estimates.Select(e => new EstimateView(e.Key.Json(), e.Name, Q(e.Value, e.Unit), Format.Raw(e.Value), e.Formula,
                string.Join(", ", e.Inputs.Select(i => $"{i.Symbol} = {Format.Number(i.Value)}")))).ToList(),
            r.BiasFeasible switch
            {
                true => $"feasible: every device's bias current lies within the technology's range {Q(x.MinBiasCurrent, "A")} .. {Q(x.MaxBiasCurrent, "A")}",
                false => $"INFEASIBLE: {Format.Count(counts.OutOfRange ?? 0)} of {Format.Count(counts.Devices)} devices need a bias current the cell sizing cannot build " +
                    $"(the technology states {Q(x.MinBiasCurrent, "A")} .. {Q(x.MaxBiasCurrent, "A")}; the sizing's own limits are in the timescale sweep). {ChipEstimator.SweepVerdict(r.Sweep)}",
                null => $"not assessed: device bias currents, cell area and static power need characterized cells; {NeedCells}",
            },
            r.BiasFeasible == false,
            r.Sweep.Select(p => new SweepView(Q(p.TimeUnit, "s"), Q(p.DeviceCurrent, "A"), $"{Q(p.MinPartBias, "A")} .. {Q(p.MaxPartBias, "A")}",
                double.IsNaN(p.SizingFloor) && double.IsNaN(p.SizingCeiling) ? "as asked" : $"{(double.IsNaN(p.SizingFloor) ? "" : $">= {Q(p.SizingFloor, "A")}")}{(double.IsNaN(p.SizingFloor) || double.IsNaN(p.SizingCeiling) ? "" : ", ")}{(double.IsNaN(p.SizingCeiling) ? "" : $"<= {Q(p.SizingCeiling, "A")}")}",
                Format.Count(p.OutOfRange), p.Feasible ? "yes" : "no", Q(p.StaticPower, "W"),
                Q(p.EnergyPerInference, "J"), Q(p.Latency, "s"), Q(p.AveragePower, "W"), Q(p.Throughput, "1/s"),
                Math.Abs(Math.Log10(p.TimeUnit) - Math.Log10(r.Units.TimeUnit)) < 1e-9, p.Clamped)).ToList(),
            r.Sweep.Count > 0
                ? $"{ChipEstimator.SweepVerdict(r.Sweep)} Every device's cell is sized again at each time unit by the cell library's own rules (the .cells.csv of this time unit shows the same biases). " +
                  "Required biases scale as C V_s / tau; a part asking for less than the sizing's floor or more than its ceiling is built at that limit, so the device is out of range " +
                  "and its static power stays at the limit instead of following 1/tau (rows marked clamped). Energy per inference, latency and throughput follow from the built biases."
                : $"Not computed: every figure of the sweep follows from the cells' bias currents, which need characterized cells; {NeedCells}.",
            [
                new("machine", r.Digital.Machine.Name, r.Digital.Machine.Basis),
                new("energy per operation e_op", Q(r.Digital.Machine.EnergyPerOpJ, "J")),
                new("rate", $"{Format.Number(r.Digital.Machine.OpsPerSecond)} op/s"),
                new("solver", $"{r.Digital.Solver}, rtol = atol = {Format.Number(r.Digital.Tolerance)}", $"evaluations are the mean over {r.Digital.Cases} cases"),
                new("ops per node per evaluation ops_node", r.Digital.OpsPerNodePerEvaluation.ToString(Inv), "Dormand-Prince stage combination, about six multiply-adds"),
                new("operations per inference", Format.Number(r.Digital.OpsPerInference)),
                new("GPU energy per inference", Q(r.Digital.EnergyPerInference, "J"),
                    r.Has(EstimateKey.EnergyPerInference) ? $"chip: {Q(r[EstimateKey.EnergyPerInference], "J")}" : "chip: needs characterized cells"),
                new("GPU time per inference", Q(r.Digital.TimePerInference, "s"), $"chip: {Q(r[EstimateKey.Latency], "s")}"),
            ],
            r.Digital.Layers.Select(l => new DigitalLayerView(l.Index.ToString(Inv), l.Model, Format.Count(l.Devices), l.OpsPerDevice.ToString(Inv),
                Format.Number(l.EvaluationsPerCase), Format.Number(l.OpsPerEvaluation))).ToList(),
            DigitalComparison.Formula,
            r.Verification.Select(Run).ToList(),
            r.Ranges.SelectMany(g => new Row[]
            {
                new($"{g.Of}: largest node swing", Q(g.MaxNodeVolts, "V"), $"{(g.NodesWithinRails ? "within" : "OUTSIDE")} +-{Q(g.AllowedSwingVolts, "V")} about mid-rail"),
                new($"{g.Of}: largest device current", Q(g.MaxDeviceAmps, "A"), $"{(g.CurrentsWithinBias ? "within" : "ABOVE")} the largest bias current {Q(g.MaxBiasCurrent, "A")}"),
            }).ToList(),
            r.CellNote,
            r.CellFits.Select(f => new Row($"{f.Model} ({f.Cell})", $"max {Format.Number(f.MaxError)} {f.Unit}" + (f.Bound is { } b ? $", bound {Format.Number(b)}" : ""),
                $"rms {Format.Number(f.RmsError)} {f.Unit}" + (f.AboveBound is { } n ? (n == 0 ? "; every device within its bound" : $"; {Format.Count(n)} devices ABOVE their bound") : ""))).ToList(),
            r.Plots.Select(p => new PlotView(p.Key, p.Title, p.Caption, "plots/" + p.FileName, "data:image/png;base64," + Convert.ToBase64String(p.Png), p.Width, p.Height)).ToList(),
            r.Repro.Command, r.Repro.InputOrigin, r.Repro.Seed?.ToString(Inv) ?? "none (no random choice)",
            r.Repro.Settings.Select(s => new Row(s.Name, s.Value)).ToList(),
            r.Repro.Inputs.Select(v => "[" + string.Join(", ", v.Select(Format.Raw)) + "]").ToList())
        {
            Calibration = CalibrationRows(r.Calibration),
            Timescale = TimescaleRows(r),
            CellFigures = r.CellFigures.Select(f => new Row($"{f.Cell}: {f.Figure}", FigureText(f), f.Source)).ToList(),
            TimescaleNote = TimescaleText(r),
            Budget = BudgetRows(r),
        };
    }

    /// <summary>What a report needs characterized cells for, and how to ask for them.</summary>
    public const string NeedCells = "run a MOS fidelity (--fidelity macro or transistor) or give --tech to characterize them";

    private static string ClassOf(VerdictStatus status) => status switch
    {
        VerdictStatus.Pass => "pass",
        VerdictStatus.Fail => "fail",
        _ => "none",
    };

    private static string ClassOf(ChipStatus status) => status switch
    {
        ChipStatus.Pass => "pass",
        ChipStatus.Incomplete => "none",
        _ => "fail",
    };

    private static RunView Run(VerificationRun v)
    {
        if (v.Result is not { } r) return new RunView(v.Fidelity.Key, v.Status.Text(), ClassOf(v.Status), v.NotRunReason ?? "", [], [], [], false);
        var s = r.Summary;
        string F(double? d) => d is { } x ? Format.Number(x) : "-";
        string Of(double? error, double? bound) => error is null ? "-" : bound is { } b ? $"{F(error)} / {F(b)}" : F(error);
        var summary = new List<Row>
        {
            new("simulator", r.Simulator), new("compared with", v.ComparedWith),
            new("bounds", (r.Rule ?? ToleranceRule.Absolute(r.Tolerance, VerifyOptions.Default.InitialTolerance)).Describe(), "model units; each case's errors below are shown against the bounds they were held to"),
            new("cases", $"{s.Simulated} of {s.Cases} simulated, {r.Cases.Count(c => c.Pass)} passed"),
            new("output error", $"max {F(s.MaxOutputError)} of {F(r.Tolerance)}, rms {F(s.RmsOutputError)}", "model units"),
            new("timescale", $"read-out at {Format.Quantity(r.Timescale.SimulatedSeconds, "s")} (T x tau = {Format.Quantity(r.Timescale.ExpectedSeconds, "s")}), " +
                $"settled by {(r.Timescale.LatestSettleSeconds is { } t ? Format.Quantity(t, "s") : "-")}", r.Timescale.Pass ? "pass" : "FAIL"),
        };
        if (r.Rails is { } rails)
            summary.Add(new("rails", $"node swing {Format.Quantity(rails.MaxNodeVolts, "V")} {(rails.Within ? "within" : "OUTSIDE")} +-{Format.Quantity(rails.Supply.AllowedSwing, "V")} of {rails.Supply.Name}",
                rails.Supply.Powers ? "the circuit runs on this supply: leaving it fails the verification" : "exact laws run at any voltage: this says whether the chip could be built at this voltage scale"));
        if (r.Accuracy is { } acc) summary.Add(new("simulator tolerances", $"reltol {Format.Number(acc.RelTol)}, trtol {Format.Number(acc.TrTol)}", acc.Basis));
        if (s.ArgmaxAgreement is { } a) summary.Add(new("argmax agreement", a.ToString("P1", CultureInfo.InvariantCulture), $"smallest reference margin {F(s.MinReferenceMargin)}"));
        if (s.MeanSampleError is { } m) summary.Add(new("mean per-sample error", F(m), $"reference std {F(s.ReferenceStd)}, energy distance {F(s.EnergyDistance)}"));
        if (r.Supply is { } draw)
            summary.Add(new("supply, measured", $"{Format.Quantity(draw.EnergyJoules, "J")} per inference, busiest layer {Format.Quantity(draw.BusiestLayerWatts, "W")}",
                $"the rails' power in the simulation, mean over {r.SupplyCases} case(s) (layers: the largest mean power of any case); the bias references and precharge sources are ideal and not counted"));
        var cases = r.Cases.Select(c => new CaseView(c.Index.ToString(CultureInfo.InvariantCulture), c.Status.ToString(), VerdictStatusText.Of(c.Pass).Text(), c.Pass,
            Of(c.Errors?.Initial, c.Bounds?.Initial), Of(c.Errors?.Boundary, c.Bounds?.State), Of(c.Errors?.Sample, c.Bounds?.State), Of(c.Errors?.Output, c.Bounds?.Output),
            Format.Quantity(c.Range.MaxNodeVolts, "V"), Format.Quantity(c.Range.MaxDeviceAmps, "A"),
            c.SettleTime is { } st ? Format.Quantity(st, "s") : "-",
            string.Join("; ", c.Failures.Concat(c.Message is null ? [] : [c.Message]).Distinct()))).ToList();
        return new RunView(v.Fidelity.Key, v.Status.Text(), ClassOf(v.Status), "", summary, cases, s.Failures, true);
    }
}
