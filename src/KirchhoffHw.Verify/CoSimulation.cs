using System.Diagnostics;
using KirchhoffHw.Generate.Dialects;
using KirchhoffHw.Generate.Dialects.Ngspice;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;
using KirchhoffHw.Simulate;

namespace KirchhoffHw.Verify;

/// <summary>
/// One case: write the deck for its input in the backend's dialect, simulate it, convert the waveforms back to
/// model units and hold them against the reference trajectory. Simulator failures become verdicts, never exceptions.
/// </summary>
public sealed class CoSimulation(Design design, VerifyOptions options, ISimulationDialect? dialect = null)
{
    private readonly ISimulationDialect _dialect = dialect ?? new NgspiceEmitter();
    private readonly ToleranceRule _tolerances = options.RuleFor(design.Task);

    /// <summary>Model times compared besides the boundaries: evenly inside each layer.</summary>
    public IReadOnlyList<double> SampleTimes { get; } = SampleTimesOf(design, options);

    public static IReadOnlyList<double> SampleTimesOf(Design design, VerifyOptions options) => design.Layers
        .SelectMany(l => Enumerable.Range(1, options.SamplesPerLayer).Select(i => l.TStart + l.Duration * i / (options.SamplesPerLayer + 1)))
        .ToList();

    /// <param name="reference">The golden trajectory, or null when the reference itself failed for this input
    /// (<paramref name="referenceFailure"/> says why): the circuit still runs, so the verdict shows what it did.</param>
    public CaseVerdict Run(ISpiceSimulator simulator, int index, double[] input, CaseResult? reference, CancellationToken cancel = default, string? referenceFailure = null)
    {
        var clock = Stopwatch.StartNew();
        var units = design.Units;
        var deck = _dialect.FormatDeck(options.Circuit ?? design, options.Spice with { Input = input, SampleTimes = SampleTimes });
        var vectors = Enumerable.Range(1, design.NodeCount).Select(_dialect.GetProbe).ToList();
        var rails = options.Spice.Devices?.Rails ?? [];
        var railProbes = rails.Select(r => _dialect.GetCurrentProbe(r.Source)).ToList();
        var sim = simulator.Run(new SimulationRequest(deck, [.. vectors, .. railProbes], options.CaseTimeout), cancel);
        var referenceFailures = reference is null ? new[] { $"reference: {referenceFailure}" } : [];
        if (!sim.IsOk || sim.Time.Length == 0)
        {
            var message = sim.Message is { } m && options.Spice.Devices?.Locate(m) is { } cell ? $"{m} ({cell})" : sim.Message;
            return new CaseVerdict(index, input, sim.Status, message ?? "simulator returned no time points", false,
                [.. referenceFailures, $"simulation: {sim.Status}: {message}"], reference?.Output ?? [], null, null, DynamicRange.Zero, null, clock.Elapsed.TotalSeconds, sim.Time.Length);
        }

        double tau = units.TimeUnit, vs = units.VoltageScale;
        double timeTol = 1e-9 * design.TEnd * tau;
        var time = sim.Time;
        var waves = vectors.Select(v => sim.Vectors[v]).ToArray();
        double[] StateAt(double t) => waves.Select(w => Metrics.At(time, w, t * tau, timeTol) / vs).ToArray();

        var expected0 = new double[design.NodeCount];
        design.Input.Apply(input, expected0);
        var initial = waves.Select(w => w[0] / vs).ToArray();
        var boundaries = design.Layers.Select(l => (l.TEnd, StateAt(l.TEnd))).ToList();
        var samples = SampleTimes.Select(t => (t, StateAt(t))).ToList();
        var outputNodes = design.OutputNodes;
        var output = outputNodes.Select(n => boundaries[^1].Item2[n - 1]).ToArray();
        var circuit = new CircuitCase(initial, boundaries, samples, output, time[^1] / tau);
        var range = Range(time, waves);
        var supply = rails.Count == 0 ? null : Supply(time, rails, railProbes.Select(v => sim.Vectors[v]).ToArray());
        if (reference is null)
            return new CaseVerdict(index, input, SimulationStatus.Ok, null, false, referenceFailures, [], circuit, null, range, null, clock.Elapsed.TotalSeconds, time.Length, Supply: supply);

        var errors = new CaseErrors(
            Metrics.MaxAbsDiff(initial, expected0),
            boundaries.Select((b, i) => Metrics.MaxAbsDiff(b.Item2, reference.Boundaries[i].State)).DefaultIfEmpty(0).Max(),
            samples.Select((s, i) => Metrics.MaxAbsDiff(s.Item2, reference.Samples[i].State)).DefaultIfEmpty(0).Max(),
            Metrics.MaxAbsDiff(output, reference.Output));

        var bounds = _tolerances.For(StateScale(expected0, reference));
        var failures = new List<string>(TaskRule.CaseFailures(errors, bounds));
        if (Math.Abs(time[^1] - design.TEnd * tau) > timeTol)
            failures.Insert(errors.Initial <= bounds.Initial ? 0 : 1, $"simulation ended at {time[^1]:G6} s, not at T x time unit = {design.TEnd * tau:G6} s");
        if (design.Task == TaskKind.Classification && Metrics.ArgMax(output) != Metrics.ArgMax(reference.Output))
            failures.Add($"class {Metrics.ArgMax(output)} differs from the reference's {Metrics.ArgMax(reference.Output)}");

        var settle = SettleTime(time, outputNodes.Select(n => waves[n - 1]).ToArray(), reference.Output);
        return new CaseVerdict(index, input, SimulationStatus.Ok, null, failures.Count == 0, failures, reference.Output,
            circuit, errors, range, settle, clock.Elapsed.TotalSeconds, time.Length, bounds, supply);
    }

    /// <summary>The rails' power over the run (a source delivering power carries negative current into its + terminal), per layer and in total.</summary>
    private SupplyDraw Supply(double[] time, IReadOnlyList<Generate.SupplyRail> rails, double[][] currents)
    {
        double tau = design.Units.TimeUnit;
        var power = new double[time.Length];
        for (int r = 0; r < rails.Count; r++)
            for (int i = 0; i < time.Length; i++) power[i] -= rails[r].Volts * currents[r][i];
        var layers = design.Layers.Select(l => l.Duration > 0
            ? Metrics.Integral(time, power, l.TStart * tau, l.TEnd * tau) / (l.Duration * tau) : 0).ToArray();
        return new SupplyDraw(Metrics.Integral(time, power, 0, design.TEnd * tau), layers);
    }

    /// <summary>The case's largest |reference state|: over its initial state, every boundary and every sample the verifier compares.</summary>
    public static double StateScale(double[] initial, CaseResult reference) =>
        new[] { initial }.Concat(reference.Boundaries.Select(b => b.State)).Concat(reference.Samples.Select(s => s.State))
            .SelectMany(s => s).Select(Math.Abs).DefaultIfEmpty(0).Max();

    /// <summary>Earliest physical time from which every output stays within tolerance of the reference's final output.</summary>
    private double? SettleTime(double[] time, double[][] outputs, double[] expected)
    {
        double vs = design.Units.VoltageScale;
        bool Within(int k) => outputs.Select((w, j) => Math.Abs(w[k] / vs - expected[j])).All(e => e <= _tolerances.Output);
        if (!Within(time.Length - 1)) return null;
        int i = time.Length - 1;
        while (i > 0 && Within(i - 1)) i--;
        return time[i];
    }

    private DynamicRange Range(double[] time, double[][] waves)
    {
        double maxV = waves.Max(w => w.Max(Math.Abs));
        double maxI = 0, tau = design.Units.TimeUnit, vs = design.Units.VoltageScale, k = design.Units.CurrentScale;
        var v = new double[design.NodeCount + 1];
        foreach (var layer in (options.Circuit ?? design).Layers)
        {
            var inside = Enumerable.Range(0, time.Length).Where(i => time[i] > layer.TStart * tau && time[i] <= layer.TEnd * tau).ToList();
            int stride = Math.Max(1, (inside.Count + options.CurrentProbePoints - 1) / Math.Max(1, options.CurrentProbePoints));
            var p = new double[layer.Model.ParameterCount];
            int edges = layer.Edges.Count;
            for (int n = 0; n < inside.Count; n += stride)
            {
                int i = inside[n];
                for (int node = 1; node <= design.NodeCount; node++) v[node] = waves[node - 1][i] / vs;
                for (int e = 0; e < edges; e++)
                {
                    for (int j = 0; j < p.Length; j++) p[j] = layer.Theta[j * edges + e];
                    maxI = Math.Max(maxI, Math.Abs(layer.Model.Current(v[layer.Edges.Source[e]], v[layer.Edges.Destination[e]], p)));
                }
            }
        }
        return new DynamicRange(maxV, maxI * k);
    }
}
