using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using KirchhoffHw.Import;
using KirchhoffHw.Import.Cases;

namespace KirchhoffHw.Bench;

/// <summary>
/// `kirchhoffhw verify` through a Slurm job array against the same command run locally with as many jobs as the
/// machine has cores, both timed from start to exit and their verdict files compared outside timing fields
/// (side by side when the two together use no more processes than the machine has cores, one after the other
/// otherwise, so each run has the cores it would have alone):
/// the fixed cost of a run through Slurm (one twomoon case), twomoon 100 cases (a task per core, and a task per
/// case), and mnist at 1 pF / 1 ns, an image per task (BENCH_SLURM_MNIST_IMAGES, default 4, 0 to skip: the first
/// are vectors.json's images, any more are uniform random ones; BENCH_MNIST_RELTOL as in the cosim bench).
/// </summary>
internal static class VerifyBench
{
    public static JsonObject Run(string models, string folder, string slurmConf)
    {
        Directory.CreateDirectory(folder);
        var cores = Environment.ProcessorCount;
        var environment = new Dictionary<string, string> { ["SLURM_CONF"] = slurmConf };
        var twomoon = Path.Combine(models, "twomoon", "model.pth");
        string[] units = ["--capacitance", "1p", "--time-unit", "1n"];

        // The same case locally and as a one-task job: what submitting, scheduling and starting a task add.
        var one = Compare(folder, "twomoon-1", [twomoon, "--random", "1", "--seed", "1", .. units], 1, environment, cores, ["--chunk", "1"]);
        Console.WriteLine($"twomoon, 1 case: {one.Local:F2} s locally, {one.Slurm:F2} s through Slurm (+{one.Slurm - one.Local:F2} s), verdicts equal: {one.Equal}");

        const int cases = 100;
        string[] twomoon100 = [twomoon, "--random", cases.ToString(CultureInfo.InvariantCulture), "--seed", "1", .. units];
        var perCore = Compare(folder, "twomoon-100-per-core", twomoon100, cases, environment, cores,
            ["--chunk", ((cases + cores - 1) / cores).ToString(CultureInfo.InvariantCulture)]);
        var perCase = Compare(folder, "twomoon-100-per-case", twomoon100, cases, environment, cores, ["--chunk", "1"], localRun: perCore);
        Console.WriteLine($"twomoon, {cases} cases: {perCore.Local:F1} s locally ({cores} jobs); through Slurm {perCore.Slurm:F1} s in {cores} tasks, " +
                          $"{perCase.Slurm:F1} s in {cases} tasks; verdicts equal: {perCore.Equal && perCase.Equal}");

        var result = new JsonObject
        {
            ["units"] = "1 pF, 1 ns, 1 V",
            ["local_jobs"] = cores,
            ["twomoon_1_case"] = one.Json(),
            ["twomoon_100_cases_task_per_core"] = perCore.Json(),
            ["twomoon_100_cases_task_per_case"] = perCase.Json(),
        };

        int images = int.TryParse(Environment.GetEnvironmentVariable("BENCH_SLURM_MNIST_IMAGES"), out var n) ? n : 4;
        if (images > 0)
        {
            var mnist = Path.Combine(models, "mnist", "model.pth");
            var design = ModelLoader.Load(mnist).Design;
            var vectors = CaseFile.Read(Path.Combine(models, "mnist", "vectors.json")).Cases.Select(c => c.Input).ToList();
            var inputs = vectors.Take(images).Concat(InputReader.Random(Math.Max(0, images - vectors.Count), design.Input.Width, 1, RandomInputKind.Uniform01)).ToList();
            var inputsPath = Path.Combine(folder, "mnist-inputs.json");
            File.WriteAllText(inputsPath, JsonSerializer.Serialize(inputs));
            var reltol = Environment.GetEnvironmentVariable("BENCH_MNIST_RELTOL") ?? "1e-4";
            // An image takes minutes to an hour on a loaded machine: a case timeout would turn timing into a verdict.
            var m = Compare(folder, "mnist", [mnist, "--inputs", inputsPath, .. units, "--spice-option", $"reltol={reltol}", "--timeout", "86400"],
                images, environment, cores, ["--chunk", "1"]);
            var json = m.Json();
            json["images"] = images;
            json["from_vectors_json"] = Math.Min(images, vectors.Count);
            json["spice_options"] = $"reltol={reltol}";
            json["side_by_side"] = m.SideBySide;
            json["local_s_per_image"] = m.Local / images;
            json["slurm_s_per_image"] = m.Slurm / images;
            json["per_image_simulation_s_local"] = Seconds(m.LocalVerdict);
            json["per_image_simulation_s_slurm"] = Seconds(m.SlurmVerdict);
            json["per_image_equal"] = new JsonArray(m.PerCaseEqual.Select(e => (JsonNode)e).ToArray());
            var summary = JsonNode.Parse(File.ReadAllText(m.SlurmVerdict))!["summary"]!;
            json["max_logit_error"] = summary["max_output_error"]?.DeepClone();
            json["argmax_agreement"] = summary["argmax_agreement"]?.DeepClone();
            result["mnist"] = json;
            Console.WriteLine($"mnist, {images} images: {m.Local / images:F0} s per image locally ({cores} jobs), {m.Slurm / images:F0} s per image through Slurm " +
                              $"(a task per image); per-image results equal: {string.Join(", ", m.PerCaseEqual)}");
        }
        return result;
    }

    private sealed record Comparison(double Local, double Slurm, int LocalCode, int SlurmCode, bool Equal, IReadOnlyList<bool> PerCaseEqual,
        string LocalVerdict, string SlurmVerdict, IReadOnlyList<string> SlurmOptions, bool SideBySide)
    {
        public JsonObject Json() => new()
        {
            ["run"] = SideBySide ? "local and slurm side by side" : "local, then slurm",
            ["local_s"] = Local,
            ["slurm_s"] = Slurm,
            ["slurm_options"] = string.Join(" ", SlurmOptions),
            ["exit_codes"] = $"{LocalCode} local, {SlurmCode} slurm",
            ["verdicts_equal_but_timing"] = Equal,
        };
    }

    /// <summary>Runs `verify` locally (unless a comparison of the same command is handed in) and through Slurm, and compares the verdicts.</summary>
    private static Comparison Compare(string folder, string name, string[] args, int cases, IReadOnlyDictionary<string, string> environment, int cores,
        string[] slurmOptions, Comparison? localRun = null)
    {
        var localVerdict = localRun?.LocalVerdict ?? Path.Combine(folder, name + ".local.json");
        var slurmVerdict = Path.Combine(folder, name + ".slurm.json");
        // Each run simulates at most one case per core at a time (--jobs locally, the cluster's CPUs through Slurm).
        var sideBySide = localRun is null && 2 * Math.Min(cases, cores) <= cores;
        var runLocal = () => localRun is { } l ? (l.Local, l.LocalCode)
            : Cli(["verify", .. args, "--jobs", cores.ToString(CultureInfo.InvariantCulture), "-o", localVerdict], environment);
        var runSlurm = () => Cli(["verify", .. args, "--scheduler", "slurm", .. slurmOptions, "-o", slurmVerdict], environment);
        (double, int) local, slurm;
        if (sideBySide)
        {
            var l = Task.Run(runLocal);
            var s = Task.Run(runSlurm);
            (local, slurm) = (l.GetAwaiter().GetResult(), s.GetAwaiter().GetResult());
        }
        else (local, slurm) = (runLocal(), runSlurm());
        var ((localSeconds, localCode), (slurmSeconds, slurmCode)) = (local, slurm);
        var a = Strip(JsonNode.Parse(File.ReadAllText(localVerdict)));
        var b = Strip(JsonNode.Parse(File.ReadAllText(slurmVerdict)));
        var perCase = a!["cases"]!.AsArray().Zip(b!["cases"]!.AsArray(), (x, y) => JsonNode.DeepEquals(x, y)).ToList();
        return new Comparison(localSeconds, slurmSeconds, localCode, slurmCode, JsonNode.DeepEquals(a, b) && localCode == slurmCode, perCase,
            localVerdict, slurmVerdict, slurmOptions, sideBySide);
    }

    private static JsonArray Seconds(string verdict) =>
        new(JsonNode.Parse(File.ReadAllText(verdict))!["cases"]!.AsArray().Select(c => c!["elapsed_s"]!.DeepClone()).ToArray());

    /// <summary>The verdict without its wall-clock fields.</summary>
    private static JsonNode? Strip(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                o.Remove("elapsed_s");
                foreach (var (_, v) in o.ToList()) Strip(v);
                break;
            case JsonArray a:
                foreach (var v in a) Strip(v);
                break;
        }
        return node;
    }

    /// <summary>The kirchhoffhw program built beside the bench, timed from start to exit; a verification may pass (0) or fail (1).</summary>
    private static (double Seconds, int Code) Cli(string[] args, IReadOnlyDictionary<string, string> environment)
    {
        var psi = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "kirchhoffhw"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        var seconds = clock.Elapsed.TotalSeconds;
        if (p.ExitCode is not (0 or 1)) throw new InvalidOperationException($"kirchhoffhw {string.Join(" ", args)} exited with {p.ExitCode}:\n{o.Result}{e.Result}");
        return (seconds, p.ExitCode);
    }
}
