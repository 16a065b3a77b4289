using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using KirchhoffHw.Import;
using KirchhoffHw.Import.Cases;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;
using KirchhoffHw.Reference;

namespace KirchhoffHw.Bench;

/// <summary>Reference solver throughput (mnist, twomoon) against a numpy + scipy peer run in the same process tree.</summary>
internal static class ReferenceBench
{
    public static int Run(string root, string models)
    {
        string python = Environment.GetEnvironmentVariable("PEER_PYTHON") ?? "/usr/bin/python3";
        const int MnistBatch = 64, TwomoonSamples = 10_000, Seed = 20240611;
        const double MnistTol = 1e-3, TwomoonTol = 1e-4;

        // (a) import: best of a few, the first one also warms the JIT.
        var mnistPth = Path.Combine(models, "mnist", "model.pth");
        double importS = double.MaxValue;
        Design mnist = null!;
        for (int i = 0; i < 4; i++)
        {
            var w = Stopwatch.StartNew();
            mnist = CheckpointImporter.Load(mnistPth).Design;
            importS = Math.Min(importS, w.Elapsed.TotalSeconds);
        }
        Console.WriteLine($"mnist import: {importS:F3} s (best of 4)");
        var twomoon = CheckpointImporter.Load(Path.Combine(models, "twomoon", "model.pth")).Design;

        // (b), (c) throughput after a small warm-up run each.
        var mnistInputs = InputReader.Random(MnistBatch, 784, Seed, RandomInputKind.Uniform01);
        var twomoonInputs = InputReader.Random(TwomoonSamples, 2, Seed, RandomInputKind.StandardNormal);
        var mnistOptions = SolverOptions.Dopri5(MnistTol);
        var twomoonOptions = SolverOptions.Dopri5(TwomoonTol) with { ChunkSize = 64 };
        ReferenceSolver.Solve(mnist, mnistInputs[..4], mnistOptions);
        ReferenceSolver.Solve(twomoon, twomoonInputs[..256], twomoonOptions);
        var mnistResult = Best(() => ReferenceSolver.Solve(mnist, mnistInputs, mnistOptions), 2);
        var twomoonResult = Best(() => ReferenceSolver.Solve(twomoon, twomoonInputs, twomoonOptions), 3);
        double mnistRate = MnistBatch / mnistResult.Elapsed.TotalSeconds, twomoonRate = TwomoonSamples / twomoonResult.Elapsed.TotalSeconds;
        Console.WriteLine($"mnist: {mnistRate:F1} images/s ({MnistBatch} in {mnistResult.Elapsed.TotalSeconds:F3} s, {mnistResult.Total})");
        Console.WriteLine($"twomoon: {twomoonRate:F0} samples/s ({TwomoonSamples} in {twomoonResult.Elapsed.TotalSeconds:F3} s, {twomoonResult.Total})");

        // Peer: numpy + scipy.sparse right-hand side under solve_ivp RK45, same tolerances, same inputs.
        var temp = Path.Combine(Path.GetTempPath(), $"kirchhoffhw-bench-{Environment.ProcessId}");
        JsonObject? peer = null;
        try
        {
            var headers = new[]
            {
                PeerExport.Write(temp, "mnist", mnist, mnistInputs, MnistTol),
                PeerExport.Write(temp, "twomoon", twomoon, twomoonInputs, TwomoonTol),
            };
            var script = Path.Combine(root, "bench", "peer", "reference_peer.py");
            var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add(script);
            foreach (var h in headers) psi.ArgumentList.Add(h);
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            var stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"peer failed ({p.ExitCode}): {stderr.Result}");
            peer = JsonNode.Parse(stdout)!.AsObject();
            // Agreement: mnist classes, twomoon max abs difference, against the peer's own outputs.
            var mnistPeer = PeerExport.ReadDoubles(Path.Combine(temp, "mnist.peer_output.bin"));
            var twomoonPeer = PeerExport.ReadDoubles(Path.Combine(temp, "twomoon.peer_output.bin"));
            int sameClass = 0;
            for (int i = 0; i < MnistBatch; i++)
            {
                var ours = mnistResult.Cases[i].Output;
                var theirs = mnistPeer.AsSpan(i * 10, 10).ToArray();
                if (Array.IndexOf(ours, ours.Max()) == Array.IndexOf(theirs, theirs.Max())) sameClass++;
            }
            double twomoonDiff = 0;
            for (int i = 0; i < TwomoonSamples; i++)
                for (int k = 0; k < 2; k++) twomoonDiff = Math.Max(twomoonDiff, Math.Abs(twomoonResult.Cases[i].Output[k] - twomoonPeer[i * 2 + k]));
            peer["mnist_same_class_fraction"] = (double)sameClass / MnistBatch;
            peer["twomoon_max_abs_diff"] = twomoonDiff;
            Console.WriteLine($"peer: {peer.ToJsonString()}");
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }

        var report = new JsonObject
        {
            ["mnist_import_s"] = importS,
            ["mnist_images_per_s"] = mnistRate,
            ["mnist_batch"] = MnistBatch,
            ["mnist_stats"] = Stats(mnistResult),
            ["twomoon_samples_per_s"] = twomoonRate,
            ["twomoon_samples"] = TwomoonSamples,
            ["twomoon_stats"] = Stats(twomoonResult),
            ["peer"] = peer,
            ["ratio_mnist_ours_over_peer"] = mnistRate / peer!["mnist_images_per_s"]!.GetValue<double>(),
            ["ratio_twomoon_ours_over_peer"] = twomoonRate / peer!["twomoon_samples_per_s"]!.GetValue<double>(),
            ["machine"] = new JsonObject { ["cores"] = Environment.ProcessorCount, ["os"] = Environment.OSVersion.ToString(), ["runtime"] = Environment.Version.ToString() },
            ["date"] = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
            ["solver"] = new JsonObject
            {
                ["method"] = "Dopri5, per-case step control", ["mnist_tol"] = MnistTol, ["twomoon_tol"] = TwomoonTol,
                ["mnist_chunk"] = mnistOptions.ChunkSize, ["twomoon_chunk"] = twomoonOptions.ChunkSize, ["seed"] = Seed,
                ["peer"] = "scipy.integrate.solve_ivp RK45, whole batch as one system (shared step)",
            },
        };
        var outPath = Path.Combine(root, "bench", "results", "reference.json");
        AtomicFile.WriteAllText(outPath, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        Console.WriteLine($"wrote {outPath}");
        return 0;
    }

    static ReferenceResult Best(Func<ReferenceResult> run, int times) =>
        Enumerable.Range(0, times).Select(_ => run()).MinBy(r => r.Elapsed)!;

    static JsonObject Stats(ReferenceResult r) => new()
    {
        ["accepted_per_case"] = (double)r.Total.Accepted / r.Cases.Count,
        ["rejected_per_case"] = (double)r.Total.Rejected / r.Cases.Count,
        ["rhs_per_case"] = (double)r.Total.RhsEvaluations / r.Cases.Count,
        ["batched_rhs"] = r.BatchedRhsEvaluations,
        ["seconds"] = r.Elapsed.TotalSeconds,
    };
}
