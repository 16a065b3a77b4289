namespace KirchhoffHw.Testing;

/// <summary>
/// The repository root (the folder holding KirchhoffHw.sln, found above the test assembly) and the authors'
/// checkpoints beside it in ../shared/models, which tests read in place and never copy. Compiled into every
/// test project.
/// </summary>
internal static class RepoPaths
{
    public static string Root { get; } = Find();
    public static string Models => Path.GetFullPath(Path.Combine(Root, "..", "shared", "models"));
    public static string Designs => Path.Combine(Root, "designs");
    public static string Model(string name, string file) => Path.Combine(Models, name, file);

    /// <summary>This test run's characterization cache (set by <c>TestRunCache</c>, also in KIRCHHOFFHW_CACHE).</summary>
    public static string Cache { get; set; } = "";

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "KirchhoffHw.sln"))) return dir.FullName;
        throw new InvalidOperationException("KirchhoffHw.sln not found above " + AppContext.BaseDirectory);
    }
}
