using System.Diagnostics;

namespace KirchhoffHw.Slurm.Tests.Cluster;

/// <summary>
/// cluster/up.sh and cluster/down.sh on a second cluster of their own (KIRCHHOFFHW_CLUSTER_DIR in a temp
/// folder: its own ports, key and state), so the shared one the other tests use is never stopped.
/// </summary>
public sealed class ScriptLifecycleTests
{
    private static (int Code, string Output) Script(string name, string clusterDir)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "cluster", name));
        start.Environment["KIRCHHOFFHW_CLUSTER_DIR"] = clusterDir;
        start.Environment.Remove("SLURM_CONF");
        using var p = Process.Start(start)!;
        p.StandardInput.Close();
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, o.Result + e.Result);
    }

    private static int? Pid(string clusterDir, string daemon)
    {
        var file = Path.Combine(clusterDir, "run", daemon + ".pid");
        return File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), out var pid) ? pid : null;
    }

    private static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    [Test]
    public void When_ClusterStartedTwiceLosesADaemonAndStops_Expect_NoOpRestartAndNothingLeftRunning()
    {
        using var tmp = new TempFolder();
        var dir = Path.Combine(tmp.Path, "c");
        var started = new List<int>();
        try
        {
            var (code, output) = Script("up.sh", dir);
            Assert.That(code, Is.EqualTo(0), output);
            Assert.That(output, Does.StartWith("Slurm cluster up in ").And.Contain("node " + Environment.MachineName));
            Assert.That(File.ReadAllText(Path.Combine(dir, "env")), Is.EqualTo($"export SLURM_CONF='{dir}/slurm.conf'\n"));
            Assert.That(SlurmSetup.IsUp(dir), Is.True);
            var conf = File.ReadAllText(Path.Combine(dir, "slurm.conf"));
            Assert.That(conf, Does.Contain($"CPUs={Environment.ProcessorCount} ").And.Contain("ProctrackType=proctrack/linuxproc")
                .And.Contain($"StateSaveLocation={dir}/state").And.Contain($"SlurmdSpoolDir={dir}/spool"));
            started.AddRange(new[] { "munged", "slurmctld", "slurmd" }.Select(d => Pid(dir, d)!.Value));

            (code, output) = Script("up.sh", dir);
            Assert.That(code, Is.EqualTo(0), output);
            Assert.That(output, Does.StartWith($"Slurm cluster already up ({dir}): node {Environment.MachineName} idle"));

            // A daemon that died leaves a stale pid file; the next start notices and starts only that one.
            var slurmd = Pid(dir, "slurmd")!.Value;
            Process.GetProcessById(slurmd).Kill();
            using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
                while (Alive(slurmd)) { wait.Token.ThrowIfCancellationRequested(); Thread.Sleep(50); }
            (code, output) = Script("up.sh", dir);
            Assert.That(code, Is.EqualTo(0), output);
            Assert.That(output, Does.StartWith("Slurm cluster up in "));
            Assert.That(Pid(dir, "slurmd"), Is.Not.EqualTo(slurmd));
            Assert.That(Pid(dir, "slurmctld"), Is.EqualTo(started[1]));
            started.Add(Pid(dir, "slurmd")!.Value);

            (code, output) = Script("down.sh", dir);
            Assert.That(code, Is.EqualTo(0), output);
            Assert.That(output, Does.StartWith("Slurm cluster stopped"));
            Assert.That(started.Where(Alive), Is.Empty);
            Assert.That(SlurmSetup.IsUp(dir), Is.False);

            (code, output) = Script("down.sh", dir);
            Assert.That((code, output.Trim()), Is.EqualTo((0, $"Slurm cluster was not running ({dir})")));
        }
        finally
        {
            if (started.Any(Alive)) Script("down.sh", dir);
        }
    }
}
