namespace KirchhoffHw.Model.IO;

/// <summary>Where measured results that any run may reuse are kept (cell characterizations, operating points).</summary>
public static class CacheFolder
{
    /// <summary>`KIRCHHOFFHW_CACHE` if set, else ~/.cache/kirchhoffhw (XDG_CACHE_HOME honoured).</summary>
    public static string Default()
    {
        if (Environment.GetEnvironmentVariable("KIRCHHOFFHW_CACHE") is { Length: > 0 } env) return env;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(xdg is { Length: > 0 } ? xdg : Path.Combine(home, ".cache"), "kirchhoffhw");
    }
}
