using System.Diagnostics;

namespace KirchhoffHw.Slurm.Tests.Cluster;

/// <summary>
/// Starts this checkout's real single-node Slurm cluster once for the tests in this namespace, through the
/// same `make cluster` a user runs (it installs slurm-wlm and munge when missing; with the cluster up it is
/// a no-op). The cluster stays up afterwards; `make cluster-down` stops it.
/// </summary>
[SetUpFixture]
public sealed class ClusterSetup
{
    public static string Output { get; private set; } = "";

    [OneTimeSetUp]
    public void StartCluster()
    {
        var start = new ProcessStartInfo("make")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--no-print-directory", "-C", RepoPaths.Root, "cluster" }) start.ArgumentList.Add(a);
        using var make = Process.Start(start)!;
        make.StandardInput.Close();
        var stdout = make.StandardOutput.ReadToEndAsync();
        var stderr = make.StandardError.ReadToEndAsync();
        make.WaitForExit();
        Output = stdout.Result + stderr.Result;
        Assert.That(make.ExitCode, Is.EqualTo(0), "make cluster failed:\n" + Output);
        Assert.That(SlurmSetup.IsUp(Path.Combine(RepoPaths.Root, SlurmSetup.ClusterFolder)), Is.True, Output);
    }
}
