using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using KirchhoffHw.Model.IO;
using KirchhoffHw.Slurm;

namespace KirchhoffHw.Bench;

/// <summary>
/// What Slurm costs on this machine, on a cluster of its own (cluster/up.sh with KIRCHHOFFHW_CLUSTER_DIR in a
/// temp folder, stopped at the end, so a running `make cluster` is left alone): a cold start of a fresh
/// cluster, a no-op restart, and submit-to-done of a trivial 4-task array through SlurmClient against the peer,
/// the same 4 commands run by xargs two at a time (the cluster's CPUs) in the same run. Then verifications
/// through it against the same commands run locally (<see cref="VerifyBench"/>).
/// </summary>
internal static class SlurmBench
{
    private const int Tasks = 4, Rounds = 5;

    public static int Run(string root, string models)
    {
        var temp = Path.Combine(Path.GetTempPath(), $"kirchhoffhw-bench-slurm-{Environment.ProcessId}");
        var dir = Path.Combine(temp, "cluster");
        Directory.CreateDirectory(temp);
        try
        {
            var cold = Script(root, "up.sh", dir);
            var warm = Enumerable.Range(0, 3).Select(_ => Script(root, "up.sh", dir)).Min();
            Console.WriteLine($"slurm cluster: cold start {cold:F3} s, no-op restart {warm:F3} s (best of 3)");

            var options = SlurmOptions.Default with
            {
                ConfigFile = Path.Combine(dir, "slurm.conf"),
                PollInterval = TimeSpan.FromMilliseconds(100),
            };
            var client = new SlurmClient(options);
            var version = new SlurmCommands(options).Run("sbatch", ["--version"]).Stdout.Trim();
            var slurm = new List<double>();
            for (var i = 0; i < Rounds; i++)
            {
                var run = Path.Combine(temp, $"run{i}");
                var clock = Stopwatch.StartNew();
                var job = client.Submit(new ArrayJobSpec
                {
                    Name = "bench",
                    Command = ["/bin/true"],
                    TaskCount = Tasks,
                    LogDirectory = Path.Combine(run, "logs"),
                    WorkingDirectory = temp,
                }, Path.Combine(run, "job.sbatch"));
                client.Follow(job).EnsureCompleted();
                slurm.Add(clock.Elapsed.TotalSeconds);
            }
            var local = new List<double>();
            for (var i = 0; i < Rounds; i++)
            {
                var clock = Stopwatch.StartNew();
                Exec("bash", "-c", $"seq 0 {Tasks - 1} | xargs -P 2 -I{{}} /bin/true");
                local.Add(clock.Elapsed.TotalSeconds);
            }
            double slurmMedian = Median(slurm), localMedian = Median(local);
            Console.WriteLine($"{Tasks}-task array of /bin/true: submit to done {slurmMedian:F3} s (median of {Rounds}), " +
                              $"locally {localMedian:F4} s: {slurmMedian / localMedian:F0}x");
            var verify = VerifyBench.Run(models, Path.Combine(temp, "verify"), options.ConfigFile!);
            var stop = Script(root, "down.sh", dir);

            var result = new JsonObject
            {
                ["slurm_version"] = version,
                ["cpus"] = Environment.ProcessorCount,
                ["cluster_cold_start_s"] = cold,
                ["cluster_noop_restart_s"] = warm,
                ["cluster_stop_s"] = stop,
                ["array_tasks"] = Tasks,
                ["array_submit_to_done_s"] = new JsonArray(slurm.Select(v => (JsonNode)v).ToArray()),
                ["array_submit_to_done_median_s"] = slurmMedian,
                ["poll_interval_s"] = 0.1,
                ["peer"] = new JsonObject
                {
                    ["command"] = $"seq 0 {Tasks - 1} | xargs -P 2 -I{{}} /bin/true",
                    ["seconds"] = new JsonArray(local.Select(v => (JsonNode)v).ToArray()),
                    ["median_s"] = localMedian,
                },
                ["slurm_over_local"] = slurmMedian / localMedian,
                ["verify"] = verify,
                ["date"] = DateTimeOffset.UtcNow.ToString("O"),
            };
            var path = Path.Combine(root, "bench", "results", "slurm.json");
            AtomicFile.WriteAllText(path, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            Console.WriteLine($"wrote {path}");
            return 0;
        }
        finally
        {
            if (SlurmSetup.IsUp(dir)) Script(root, "down.sh", dir);
            try { Directory.Delete(temp, recursive: true); } catch (IOException) { }
        }
    }

    private static double Script(string root, string name, string dir)
    {
        var clock = Stopwatch.StartNew();
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(root, "cluster", name));
        psi.Environment["KIRCHHOFFHW_CLUSTER_DIR"] = dir;
        psi.Environment.Remove("SLURM_CONF");
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"cluster/{name} failed: {o.Result}{e.Result}");
        return clock.Elapsed.TotalSeconds;
    }

    private static string Exec(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} exited with {p.ExitCode}");
        return output;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
