using KirchhoffHw.Cells;
using KirchhoffHw.Model;
using KirchhoffHw.Verify;
using ScottPlot;

namespace KirchhoffHw.Report;

/// <summary>A rendered figure: PNG bytes (embedded in the HTML, written beside the Markdown) and what it shows.</summary>
public sealed record PlotImage(string Key, string Title, string Caption, byte[] Png, int Width, int Height)
{
    public string FileName => $"{Key}.png";
}

/// <summary>
/// The report's figures. Every figure is drawn from numbers that are also in report.json, with a fixed font and
/// size, so the same run draws the same bytes.
/// </summary>
public static class Plots
{
    public const int Width = 800, Height = 420;

    // A font that Debian's fonts-dejavu-core installs: the PNGs must not depend on what else a machine has.
    private const string Font = "DejaVu Sans";

    private static Plot New(string title, string x, string y)
    {
        var plt = new Plot();
        plt.Font.Set(Font);
        plt.Title(title);
        plt.XLabel(x);
        plt.YLabel(y);
        return plt;
    }

    private static PlotImage Render(Plot plt, string key, string title, string caption) =>
        new(key, title, caption, plt.GetImageBytes(Width, Height, ImageFormat.Png), Width, Height);

    /// <summary>Log10 axis: data are plotted as exponents, ticks labelled as powers of ten with log-spaced minor ticks.</summary>
    private static void LogAxis(IAxis axis)
    {
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = v => $"1e{v:0}",
        };
    }

    /// <summary>Reference trajectory (lines) and the circuit's sampled states (markers) of a few nodes, with layer boundaries.</summary>
    public static PlotImage Waveforms(Design design, OperatingPoint op, CaseVerdict? verdict, int caseIndex)
    {
        var nodes = design.OutputNodes.Take(4).ToArray();
        var plt = New($"Case {caseIndex}: node voltages, reference vs circuit", "model time", "node voltage (model units)");
        var palette = new ScottPlot.Palettes.Category10();
        var times = op.Times.ToArray();
        for (int i = 0; i < nodes.Length; i++)
        {
            int n = nodes[i];
            var color = palette.GetColor(i);
            if (caseIndex < op.States.Count)
            {
                var line = plt.Add.Scatter(times, op.States[caseIndex].Select(s => s[n - 1]).ToArray());
                line.Color = color;
                line.MarkerSize = 0;
                line.LineWidth = 2;
                line.LegendText = $"n{n} reference";
            }
            if (verdict?.Circuit is { } c)
            {
                var points = new List<(double T, double V)> { (design.Layers[0].TStart, c.Initial[n - 1]) };
                points.AddRange(c.Samples.Select(s => (s.T, s.State[n - 1])));
                points.AddRange(c.Boundaries.Select(b => (b.T, b.State[n - 1])));
                points.Sort((a, b) => a.T.CompareTo(b.T));
                var marks = plt.Add.ScatterPoints(points.Select(p => p.T).ToArray(), points.Select(p => p.V).ToArray());
                marks.Color = color;
                marks.MarkerSize = 8;
                marks.MarkerShape = MarkerShape.OpenCircle;
                marks.LegendText = $"n{n} circuit";
            }
        }
        foreach (var layer in design.Layers.Skip(1))
        {
            var v = plt.Add.VerticalLine(layer.TStart);
            v.Color = Colors.Gray;
            v.LinePattern = LinePattern.Dashed;
        }
        plt.ShowLegend(Alignment.UpperRight);
        string circuit = verdict?.Circuit is null ? " No circuit data: verification was not run for this case or it did not simulate." : "";
        return Render(plt, "waveforms", "Waveforms across layer boundaries",
            $"Lines: the reference (Dormand-Prince) on a grid of {OperatingPoint.PointsPerLayer} points per layer; circles: the circuit's states at " +
            $"t = 0, the verifier's sample points and the layer boundaries (dashed), in model units. Nodes: {string.Join(", ", nodes.Select(n => "n" + n))}.{circuit}");
    }

    /// <summary>Histogram of log10 |circuit - reference| over every output of every simulated case, with the tolerance.</summary>
    public static PlotImage? ErrorHistogram(VerifyReport report, string fidelity)
    {
        var errors = report.Cases.Where(c => c.Circuit is not null && c.ReferenceOutput.Length > 0)
            .SelectMany(c => c.Circuit!.Output.Zip(c.ReferenceOutput, (a, b) => Math.Abs(a - b))).ToList();
        if (errors.Count == 0) return null;
        // Errors that are exactly zero are drawn at 1e-16, below any double-precision difference of order one.
        var logs = errors.Select(e => Math.Log10(Math.Max(e, 1e-16))).ToArray();
        double lo = Math.Floor(Math.Min(logs.Min(), Math.Log10(report.Tolerance)) * 2) / 2, hi = Math.Ceiling(Math.Max(logs.Max(), Math.Log10(report.Tolerance)) * 2) / 2;
        if (hi - lo < 1) hi = lo + 1;
        const int bins = 20;
        double width = (hi - lo) / bins;
        var counts = new double[bins];
        foreach (var v in logs) counts[Math.Clamp((int)((v - lo) / width), 0, bins - 1)]++;
        var plt = New($"Output errors, {report.Fidelity} fidelity ({errors.Count} outputs of {report.Cases.Count(c => c.Circuit is not null)} cases)",
            "|circuit - reference| (model units)", "outputs");
        var bars = plt.Add.Bars(Enumerable.Range(0, bins).Select(i => lo + (i + 0.5) * width).ToArray(), counts);
        foreach (var bar in bars.Bars) bar.Size = width * 0.9;
        var tol = plt.Add.VerticalLine(Math.Log10(report.Tolerance));
        tol.Color = Colors.Red;
        tol.LinePattern = LinePattern.Dashed;
        tol.LegendText = $"tolerance {Format.Number(report.Tolerance)}";
        LogAxis(plt.Axes.Bottom);
        plt.Axes.Margins(bottom: 0);
        plt.ShowLegend(Alignment.UpperRight);
        return Render(plt, $"errors_{fidelity}", $"Output error histogram ({report.Fidelity})",
            "Count of outputs per error bin (log scale); exactly equal values are drawn at 1e-16. The dashed line is the verdict's tolerance.");
    }

    /// <summary>A calibration's loss per iteration (log scale): how the fit to the trained network went.</summary>
    public static PlotImage? CalibrationLoss(CalibrationNote note)
    {
        var loss = note.Summary.Loss;
        if (loss.Count < 2 || loss.Any(v => !(v > 0) || !double.IsFinite(v))) return null;
        var plt = New($"Calibration loss against the trained network ({note.Summary.Iterations} iterations, {note.Summary.Status})", "iteration", "loss");
        var line = plt.Add.Scatter(Enumerable.Range(0, loss.Count).Select(i => (double)i).ToArray(), loss.Select(Math.Log10).ToArray());
        line.MarkerSize = 3;
        line.LineWidth = 2;
        LogAxis(plt.Axes.Left);
        return Render(plt, "calibration_loss", "Calibration loss",
            "Loss per optimizer iteration (log scale; iteration 0 is the design as trained, built from the cells): the outputs' and layer-boundary states' squared error against the trained network, over the teacher's variance, plus the trims' cost.");
    }

    /// <summary>2-D generative models: the circuit's samples drawn over the reference's.</summary>
    public static PlotImage? Samples(VerifyReport report, string fidelity)
    {
        var ok = report.Cases.Where(c => c.Circuit is { Output.Length: 2 } && c.ReferenceOutput.Length == 2).ToList();
        if (report.Task != TaskKind.Generation || ok.Count == 0) return null;
        var plt = New($"Samples: circuit over reference ({ok.Count} cases, {report.Fidelity})", "output 1", "output 2");
        var r = plt.Add.ScatterPoints(ok.Select(c => c.ReferenceOutput[0]).ToArray(), ok.Select(c => c.ReferenceOutput[1]).ToArray());
        r.MarkerSize = 9; r.MarkerShape = MarkerShape.FilledCircle; r.Color = Colors.LightGray; r.LegendText = "reference";
        var c2 = plt.Add.ScatterPoints(ok.Select(c => c.Circuit!.Output[0]).ToArray(), ok.Select(c => c.Circuit!.Output[1]).ToArray());
        c2.MarkerSize = 5; c2.MarkerShape = MarkerShape.Cross; c2.Color = Colors.Blue; c2.LegendText = "circuit";
        plt.ShowLegend(Alignment.UpperRight);
        return Render(plt, $"samples_{fidelity}", $"Generated samples ({report.Fidelity})", "Each case's output pair: grey discs from the reference, blue crosses from the circuit.");
    }

    /// <summary>
    /// The timescale, measured: each time unit's largest output error and mean per-sample error (log-log) against the
    /// tolerance, with the decades the estimated sweep can build every device at and the fastest passing time unit.
    /// Null when no time unit has an error to draw.
    /// </summary>
    public static PlotImage? MeasuredTimescale(TimescaleSweep measured, IReadOnlyList<SweepPoint> estimated, double currentTimeUnit)
    {
        static double L(double v) => Math.Log10(v);
        var max = measured.Points.Where(p => p.MaxOutputError > 0).ToList();
        var mean = measured.Points.Where(p => p.MeanSampleError > 0).ToList();
        if (max.Count == 0 && mean.Count == 0) return null;
        var plt = New($"Timescale, measured ({measured.Fidelity}): error against time unit", "time unit (s)", "error (model units)");
        if (max.Count > 0)
        {
            var m = plt.Add.Scatter(max.Select(p => L(p.TimeUnit)).ToArray(), max.Select(p => L(p.MaxOutputError!.Value)).ToArray());
            m.LegendText = "largest output error"; m.LineWidth = 2; m.MarkerSize = 7;
        }
        if (mean.Count > 0)
        {
            var m = plt.Add.Scatter(mean.Select(p => L(p.TimeUnit)).ToArray(), mean.Select(p => L(p.MeanSampleError!.Value)).ToArray());
            m.LegendText = "mean per-sample error"; m.LineWidth = 2; m.MarkerSize = 7;
        }
        var tolerances = measured.Points.Where(p => p.Tolerance > 0).ToList();
        if (tolerances.Select(p => p.Tolerance).Distinct().Count() == 1)
        {
            var t = plt.Add.HorizontalLine(L(tolerances[0].Tolerance!.Value));
            t.Color = Colors.Red; t.LinePattern = LinePattern.Dashed; t.LegendText = $"tolerance {Format.Number(tolerances[0].Tolerance!.Value)}";
        }
        else if (tolerances.Count > 0)
        {
            var t = plt.Add.Scatter(tolerances.Select(p => L(p.TimeUnit)).ToArray(), tolerances.Select(p => L(p.Tolerance!.Value)).ToArray());
            t.Color = Colors.Red; t.LinePattern = LinePattern.Dashed; t.MarkerSize = 0; t.LegendText = "tolerance";
        }
        var fails = max.Where(p => p.Pass == false).ToList();
        if (fails.Count > 0)
        {
            var f = plt.Add.ScatterPoints(fails.Select(p => L(p.TimeUnit)).ToArray(), fails.Select(p => L(p.MaxOutputError!.Value)).ToArray());
            f.MarkerShape = MarkerShape.Cross; f.MarkerSize = 14; f.Color = Colors.Red; f.LegendText = "verdict failed";
        }
        // drawn first, so that the lines of what was measured stay on top where they coincide with it
        var now = plt.Add.VerticalLine(L(currentTimeUnit));
        now.Color = Colors.Gray.WithAlpha(0.5); now.LegendText = "this report's time unit";
        // the estimate's buildable decades, over the measured range and a decade either side
        double lo = L(measured.Points.Min(p => p.TimeUnit)) - 1, hi = L(measured.Points.Max(p => p.TimeUnit)) + 1;
        bool first = true;
        foreach (var p in estimated.Where(p => p.Feasible && L(p.TimeUnit) >= lo - 1e-9 && L(p.TimeUnit) <= hi + 1e-9))
        {
            var v = plt.Add.VerticalLine(L(p.TimeUnit));
            v.Color = Colors.Green.WithAlpha(0.6); v.LinePattern = LinePattern.Dotted; v.LineWidth = 2;
            if (first) v.LegendText = "every device buildable (estimated sweep)";
            first = false;
        }
        if (measured.FastestPassing is { } fastest)
        {
            var v = plt.Add.VerticalLine(L(fastest));
            v.Color = Colors.Blue; v.LinePattern = LinePattern.Dashed; v.LineWidth = 2; v.LegendText = $"fastest passing {Format.Quantity(fastest, "s")}";
        }
        LogAxis(plt.Axes.Bottom);
        LogAxis(plt.Axes.Left);
        // errors fall as the time unit grows, so the lower left is where the curves are not
        plt.ShowLegend(Alignment.LowerLeft);
        string buildable = estimated.Count == 0 ? " No estimated sweep (no sized cells): which decades can be built is not shown."
            : first ? " No decade in this range can build every device by the estimated sweep." : "";
        return Render(plt, "timescale_measured", "Timescale, measured",
            $"Each time unit verified at {measured.Fidelity} fidelity (capacitance and voltage scale held): the largest output error and the mean per-sample " +
            "error over its cases (log-log), against the verdict's output tolerance (red, dashed); red crosses: verdicts that failed. Green dotted lines: the " +
            "decades at which the estimated timescale sweep builds every device; blue: the fastest time unit whose verdict passed." + buildable);
    }

    /// <summary>Device current against the time unit, with the technology's bias range; and power and energy.</summary>
    public static IEnumerable<PlotImage> Sweep(IReadOnlyList<SweepPoint> sweep, EstimateInputs x, double currentTimeUnit)
    {
        var taus = sweep.Select(p => Math.Log10(p.TimeUnit)).ToArray();
        var plt = New("Timescale sweep: bias currents the cells ask for", "time unit (s)", "current (A)");
        var cur = plt.Add.Scatter(taus, sweep.Select(p => Math.Log10(p.DeviceCurrent)).ToArray());
        cur.LegendText = "largest device bias"; cur.LineWidth = 2;
        var low = sweep.Where(p => p.MinPartBias > 0).ToList();
        if (low.Count > 0)
        {
            var m = plt.Add.Scatter(low.Select(p => Math.Log10(p.TimeUnit)).ToArray(), low.Select(p => Math.Log10(p.MinPartBias)).ToArray());
            m.LegendText = "smallest part bias"; m.LineWidth = 2;
        }
        var ok = sweep.Where(p => p.Feasible).ToList();
        if (ok.Count > 0)
        {
            var f = plt.Add.ScatterPoints(ok.Select(p => Math.Log10(p.TimeUnit)).ToArray(), ok.Select(p => Math.Log10(p.DeviceCurrent)).ToArray());
            f.MarkerSize = 10; f.Color = Colors.Green; f.LegendText = "feasible";
        }
        double floor = sweep.Select(p => p.SizingFloor).Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Max();
        double ceiling = sweep.Select(p => p.SizingCeiling).Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Min();
        foreach (var (value, label) in new[] { (floor, "smallest bias the sizing builds"), (ceiling, "largest bias the sizing builds") })
        {
            if (double.IsNaN(value)) continue;
            var h = plt.Add.HorizontalLine(Math.Log10(value));
            h.Color = Colors.Red; h.LinePattern = LinePattern.Dashed; h.LegendText = $"{label} {Format.Quantity(value, "A")}";
        }
        var now = plt.Add.VerticalLine(Math.Log10(currentTimeUnit));
        now.Color = Colors.Gray; now.LegendText = "this report's time unit";
        LogAxis(plt.Axes.Bottom);
        LogAxis(plt.Axes.Left);
        plt.ShowLegend(Alignment.UpperRight);
        yield return Render(plt, "sweep_current", "Timescale sweep: current",
            $"The bias currents the devices' cells ask for at every decade of the time unit (they scale as C V_s / tau), against the limits the cell sizing " +
            $"built clamped parts at (red; the technology states {Format.Quantity(x.MinBiasCurrent, "A")} .. {Format.Quantity(x.MaxBiasCurrent, "A")}); " +
            "green: time units at which every device can be built. " + ChipEstimator.SweepVerdict(sweep));

        var p2 = New("Timescale sweep: power and energy", "time unit (s)", "W (power), J (energy)");
        var pw = p2.Add.Scatter(taus, sweep.Select(p => Math.Log10(p.AveragePower)).ToArray());
        pw.LegendText = "average power (W)"; pw.LineWidth = 2;
        var ps = p2.Add.Scatter(taus, sweep.Select(p => Math.Log10(p.StaticPower)).ToArray());
        ps.LegendText = "static power, busiest layer (W)"; ps.LineWidth = 2;
        var en = p2.Add.Scatter(taus, sweep.Select(p => Math.Log10(p.EnergyPerInference)).ToArray());
        en.LegendText = "energy per inference (J)"; en.LineWidth = 2;
        var now2 = p2.Add.VerticalLine(Math.Log10(currentTimeUnit));
        now2.Color = Colors.Gray;
        LogAxis(p2.Axes.Bottom);
        LogAxis(p2.Axes.Left);
        p2.ShowLegend(Alignment.UpperLeft);
        yield return Render(p2, "sweep_power", "Timescale sweep: power and energy",
            "Static power grows as 1/tau, and static energy per inference stays fixed (current x time is constant at fixed C), only at time units where no " +
            "device is clamped: a part built at the sizing's floor keeps that bias however slow the chip runs, so there static power stays flat and static " +
            "energy grows with tau. Precharge, switching and read-out energies do not depend on tau.");
    }
}

/// <summary>Cell figures: the characterized I-V of each transistor cell with the fitted target laws over it.</summary>
public static class CellPlots
{
    public static IEnumerable<PlotImage> IvCurves(CellLibrary library)
    {
        foreach (var (topology, c) in library.Characterizations)
        {
            var plt = new Plot();
            plt.Font.Set("DejaVu Sans");
            plt.Title($"{topology} cell ({c.Tech}, {c.Corner}): I-V and fits");
            plt.XLabel("differential gate voltage y (V)");
            plt.YLabel("output current / unit bias");
            var palette = new ScottPlot.Palettes.Category10();
            for (int k = 0; k < c.OutputVolts.Length; k++)
            {
                var s = plt.Add.Scatter(c.Y, c.To[k]);
                s.MarkerSize = 0; s.LineWidth = 1; s.Color = palette.GetColor(k).WithAlpha(0.7);
                s.LegendText = $"measured, output at {c.OutputVolts[k]:+0.##;-0.##;0} V";
            }
            int style = 0;
            foreach (var fit in library.Fits.Where(f => f.Topology == topology).OrderBy(f => f.Operation))
            {
                // The fit maps u (model units) to y = Gain * u + Offset and the cell's output to Scale * I / I_unit = target(u).
                var ys = c.Y.Where(y => Math.Abs((y - fit.Offset) / fit.Gain) <= fit.Range).ToArray();
                var target = plt.Add.Scatter(ys, ys.Select(y => fit.Target((y - fit.Offset) / fit.Gain) / fit.Scale).ToArray());
                target.MarkerSize = 0; target.LineWidth = 3; target.Color = style++ == 0 ? Colors.Black : Colors.Magenta;
                target.LinePattern = LinePattern.Dashed;
                string law = fit.TargetShape switch { Model.Devices.Shape.Tanh => "tanh", Model.Devices.Shape.Relu => "relu", _ => "linear" };
                target.LegendText = $"fit: {law} target, max error {Format.Number(fit.MaxError)}";
            }
            plt.ShowLegend(Alignment.UpperLeft);
            var fig = library.Figures[topology];
            yield return new PlotImage($"cell_{topology.Key}", $"{topology} cell I-V over its fits",
                "Measured DC output current per unit bias against the differential gate voltage, one curve per output voltage; dashed: the target laws the fits map onto this cell (tanh or linear or rectified), drawn over the input range each fit covers. " +
                $"Pins (what the pin-level macro model carries): to/from mismatch {Format.Number(fig.MismatchAtBalancePercent)} % of bias at balance (largest {Format.Number(fig.MaxMismatchPercent)} %), " +
                $"output conductance {Format.Number(fig.MaxToConductance)} (to) / {Format.Number(fig.MaxFromConductance)} (from) of bias per volt over {Format.Number(fig.SwingVolts)} V (largest over the input).",
                plt.GetImageBytes(Plots.Width, Plots.Height, ImageFormat.Png), Plots.Width, Plots.Height);
        }
    }
}
