namespace KirchhoffHw.Generate.Tests;

/// <summary>Locates the repository root and the shared checkpoints beside it.</summary>
internal static class Repo
{
    public static string Root { get; } = Find();
    public static string Models => Path.GetFullPath(Path.Combine(Root, "..", "shared", "models"));
    public static string Designs => Path.Combine(Root, "designs");

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "KirchhoffHw.sln"))) return dir.FullName;
        throw new InvalidOperationException("KirchhoffHw.sln not found above " + AppContext.BaseDirectory);
    }
}
