using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using KirchhoffHw.Generate;
using KirchhoffHw.Generate.Dialects.Ngspice;
using KirchhoffHw.Import;
using KirchhoffHw.Import.Cases;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;
using KirchhoffHw.Reference;
using KirchhoffHw.Simulate;
using KirchhoffHw.Simulate.Ngspice;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Bench;

/// <summary>
/// Co-simulation cost at 1 pF / 1 ns: deck generation time and size for mnist, ngspice time per mnist image
/// (vectors.json cases) and per 100 twomoon samples, each with its verification errors so speed is never
/// reported without the accuracy it bought. mnist runs at the deck options a user gets by default (derived from its
/// reference, docs/verification.md); BENCH_MNIST_IMAGES (default 1), BENCH_MNIST_RELTOL and BENCH_MNIST_TRTOL
/// (default: the derived ones) override them.
/// </summary>
internal static class CosimBench
{
    public static int Run(string root, string models)
    {
        var units = new Units(1e-12, 1e-9, 1.0);
        var mnist = CheckpointImporter.Load(Path.Combine(models, "mnist", "model.pth")).Design.With(units: units);
        var twomoon = CheckpointImporter.Load(Path.Combine(models, "twomoon", "model.pth")).Design.With(units: units);
        var mnistVectors = CaseFile.Read(Path.Combine(models, "mnist", "vectors.json"));
        int images = int.TryParse(Environment.GetEnvironmentVariable("BENCH_MNIST_IMAGES"), out var n) ? n : 1;
        // ngspice 39 has no KLU: each Newton iteration refactors an 834-node matrix that fully connected layers make
        // nearly dense, so an mnist image costs tens of minutes at the reltol its logits need.
        string? mnistReltol = Environment.GetEnvironmentVariable("BENCH_MNIST_RELTOL");
        string? mnistTrtol = Environment.GetEnvironmentVariable("BENCH_MNIST_TRTOL");

        // Deck generation for one mnist image: best of 3 (the first also warms the JIT).
        double genS = double.MaxValue;
        long bytes = 0;
        DeckSummary? summary = null;
        for (int i = 0; i < 3; i++)
        {
            var w = Stopwatch.StartNew();
            var counter = new CountingWriter();
            summary = new NgspiceEmitter().Write(mnist, SpiceOptions.Default with { Input = mnistVectors.Cases[0].Input }, counter);
            genS = Math.Min(genS, w.Elapsed.TotalSeconds);
            bytes = counter.Count;
        }
        Console.WriteLine($"mnist deck: {summary!.Style} style, {summary.Elements} elements, {bytes} bytes, {genS:F2} s");

        // 100 consecutive twomoon runs in one libngspice worker: time, and whether the worker's memory grows.
        var twomoonInputs = InputReader.Random(100, 2, 20240611, RandomInputKind.StandardNormal);
        long rssFirst = 0, rssLast = 0;
        var clock = Stopwatch.StartNew();
        VerifyReport twomoonSerial;
        using (var one = new NgspiceShared())
        {
            var options = VerifyOptions.Default with { Reference = SolverOptions.Dopri5(1e-8) };
            twomoonSerial = new Verifier(twomoon, options, one).Run(twomoonInputs, progress: new Inline(p =>
            {
                if (p.Stage != "simulate") return;
                if (p.Done == 1) rssFirst = one.LastWorkerRssBytes;
                if (p.Done == p.Total) rssLast = one.LastWorkerRssBytes;
            }));
        }
        double serialS = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var twomoonParallel = new Verifier(twomoon, VerifyOptions.Default with { Reference = SolverOptions.Dopri5(1e-8) },
            () => new NgspiceShared(), Environment.ProcessorCount).Run(twomoonInputs);
        double parallelS = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"twomoon: 100 samples in {serialS:F1} s on one worker, {parallelS:F1} s on {Environment.ProcessorCount}; worker RSS {rssFirst >> 20} MB after run 1, {rssLast >> 20} MB after run 100; max output error {twomoonSerial.Summary.MaxOutputError:G3}");

        var mnistInputs = mnistVectors.Cases.Take(images).Select(c => c.Input).ToList();
        var mnistSpiceOptions = new Dictionary<string, string>();
        if (mnistReltol is not null) mnistSpiceOptions["reltol"] = mnistReltol;
        if (mnistTrtol is not null) mnistSpiceOptions["trtol"] = mnistTrtol;
        var mnistSpice = SpiceOptions.Default with { SimulatorOptions = mnistSpiceOptions };
        var floor = LinearFloor(new NgspiceEmitter().FormatDeck(mnist, mnistSpice with { Input = mnistVectors.Cases[0].Input, Accuracy = DeckAccuracy.Default }));
        Console.WriteLine($"mnist linear floor: {floor.SecondsPerPoint:F3} s per time point ({floor.Points} points in {floor.Seconds:F1} s)");
        var mnistReport = Verify(mnist, mnistInputs, mnistSpice);
        double mnistPoints = mnistReport.Report.Cases.Average(c => c.TimePoints);
        Console.WriteLine($"mnist: {images} images in {mnistReport.Seconds:F1} s ({mnistPoints:F0} time points per image), max logit error {mnistReport.Report.Summary.MaxOutputError:G3}, argmax agreement {mnistReport.Report.Summary.ArgmaxAgreement:P0}");

        var result = new JsonObject
        {
            ["units"] = "1 pF, 1 ns, 1 V",
            ["mnist_deck_generation_s"] = genS,
            ["mnist_deck_bytes"] = bytes,
            ["mnist_deck_elements"] = summary.Elements,
            ["mnist_deck_style"] = summary.Style.ToString().ToLowerInvariant(),
            ["mnist_images"] = images,
            ["mnist_max_step_fraction"] = SpiceOptions.Default.MaxStepFraction,
            ["mnist_spice_options"] = string.Join(" ", mnistSpiceOptions.Select(kv => $"{kv.Key}={kv.Value}")),
            ["mnist_derived_reltol"] = mnistReport.Report.Accuracy?.RelTol,
            ["mnist_derived_trtol"] = mnistReport.Report.Accuracy?.TrTol,
            ["mnist_accuracy_basis"] = mnistReport.Report.Accuracy?.Basis,
            ["mnist_s_per_image"] = mnistReport.Seconds / images,
            ["mnist_time_points_per_image"] = mnistPoints,
            ["mnist_s_per_time_point"] = mnistReport.Seconds / images / mnistPoints,
            ["mnist_linear_floor_s_per_time_point"] = floor.SecondsPerPoint,
            ["mnist_linear_floor_points"] = floor.Points,
            ["mnist_max_logit_error"] = Finite(mnistReport.Report.Summary.MaxOutputError),
            ["mnist_argmax_agreement"] = mnistReport.Report.Summary.ArgmaxAgreement,
            ["mnist_pass"] = mnistReport.Report.Pass,
            ["twomoon_samples"] = 100,
            ["twomoon_s_per_100_one_worker"] = serialS,
            ["twomoon_s_per_100_parallel"] = parallelS,
            ["twomoon_parallel_jobs"] = Environment.ProcessorCount,
            ["twomoon_worker_rss_mb_after_run_1"] = rssFirst / 1048576.0,
            ["twomoon_worker_rss_mb_after_run_100"] = rssLast / 1048576.0,
            ["twomoon_max_output_error"] = Finite(twomoonSerial.Summary.MaxOutputError),
            ["twomoon_max_boundary_error"] = twomoonSerial.Cases.Max(c => c.Errors?.Boundary ?? double.NaN),
            ["twomoon_pass"] = twomoonSerial.Pass && twomoonParallel.Pass,
            ["simulator"] = "ngspice 39 shared library (worker process)",
            ["targets"] = "mnist <= 60 s per image, twomoon <= 10 s per 100 samples",
            ["machine"] = new JsonObject { ["cores"] = Environment.ProcessorCount },
            ["date"] = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
        };
        var outPath = Path.Combine(root, "bench", "results", "cosim.json");
        AtomicFile.WriteAllText(outPath, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        Console.WriteLine($"wrote {outPath}");
        return 0;
    }

    /// <summary>
    /// What a time point costs ngspice on mnist's node-pair graph whatever the device law: the deck with every merged
    /// source replaced by a linear conductance (a native G element) between the same two nets. ngspice 39 from
    /// Debian has no KLU, so Sparse 1.3 refactors the matrix at every Newton iteration; this is the floor that
    /// no formulation of the device laws over this topology can go below.
    /// </summary>
    private static (double SecondsPerPoint, int Points, double Seconds) LinearFloor(string deck)
    {
        var linear = string.Join('\n', deck.Split('\n').Select(line =>
        {
            if (!line.StartsWith('B')) return line;
            var f = line.Split(' ', 4);
            return $"G{f[0][1..]} {f[1]} {f[2]} {f[1]} {f[2]} 1e-3";
        }));
        using var simulator = new NgspiceShared();
        var clock = Stopwatch.StartNew();
        var run = simulator.Run(new SimulationRequest(linear, ["v(n1)"], TimeSpan.FromHours(1)));
        double seconds = clock.Elapsed.TotalSeconds;
        if (!run.IsOk) throw new InvalidOperationException($"linear floor deck failed: {run.Status}: {run.Message}");
        return (seconds / run.Time.Length, run.Time.Length, seconds);
    }

    private static double? Finite(double x) => double.IsFinite(x) ? x : null;

    private static (VerifyReport Report, double Seconds) Verify(Design design, IReadOnlyList<double[]> inputs, SpiceOptions spice)
    {
        using var simulator = new NgspiceShared();
        var options = VerifyOptions.Default with { Spice = spice, Reference = SolverOptions.Dopri5(1e-8), CaseTimeout = TimeSpan.FromHours(4) };
        var report = new Verifier(design, options, simulator).Run(inputs);
        return (report, report.Cases.Sum(c => c.ElapsedSeconds));
    }

    private sealed class Inline(Action<VerifyProgress> report) : IProgress<VerifyProgress>
    {
        public void Report(VerifyProgress value) => report(value);
    }

    private sealed class CountingWriter : TextWriter
    {
        public long Count { get; private set; }
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;
        public override void Write(char value) => Count++;
        public override void Write(string? value) => Count += value?.Length ?? 0;
        public override void Write(char[] buffer, int index, int count) => Count += count;
    }
}
