namespace KirchhoffHw.Slurm;

/// <summary>How the client talks to Slurm: where the programs and the configuration are, and how patient to be.</summary>
public sealed record SlurmOptions
{
    public static readonly SlurmOptions Default = new();

    /// <summary>Folders searched for sbatch, scontrol, ... (default: PATH).</summary>
    public string? SearchPath { get; init; }

    /// <summary>SLURM_CONF for every command (default: <see cref="SlurmSetup.LocateConfig"/>).</summary>
    public string? ConfigFile { get; init; }

    /// <summary>How long one command may take before slurmctld is deemed unreachable.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Time between two looks at a followed job.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// Finds the Slurm configuration the way `make cluster` documents it. SLURM_CONF in the environment wins (a
/// site's module or the user set it); otherwise this checkout's cluster (`.cluster/` above the working folder
/// or the program, or KIRCHHOFFHW_CLUSTER_DIR) when its slurmctld is running; otherwise nothing, and Slurm's
/// programs read their compiled-in default (/etc/slurm/slurm.conf), as on a site cluster.
/// </summary>
public static class SlurmSetup
{
    public const string ClusterFolder = ".cluster";

    public static string? LocateConfig()
    {
        if (Environment.GetEnvironmentVariable("SLURM_CONF") is { Length: > 0 }) return null;
        if (Environment.GetEnvironmentVariable("KIRCHHOFFHW_CLUSTER_DIR") is { Length: > 0 } dir)
            return IsUp(dir) ? Path.Combine(dir, "slurm.conf") : null;
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                var candidate = Path.Combine(d.FullName, ClusterFolder);
                if (IsUp(candidate)) return Path.Combine(candidate, "slurm.conf");
            }
        return null;
    }

    /// <summary>A cluster folder with a config and a live slurmctld (its pid file names a running slurmctld).</summary>
    public static bool IsUp(string clusterDirectory)
    {
        if (!File.Exists(Path.Combine(clusterDirectory, "slurm.conf"))) return false;
        var pidFile = Path.Combine(clusterDirectory, "run", "slurmctld.pid");
        try
        {
            if (!int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid)) return false;
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ', 2)[0];
            return File.ReadAllText($"/proc/{pid}/comm").Trim() == "slurmctld" && state != "Z";
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
