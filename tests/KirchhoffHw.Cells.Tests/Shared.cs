using KirchhoffHw.Cells;

namespace KirchhoffHw.Cells.Tests;

/// <summary>One characterized default library per test run, in the run's own cache (the first test pays for ngspice).</summary>
internal static class Shared
{
    public static string Cache => RepoPaths.Cache;
    public static readonly Technology Tech = Technology.Load(Technology.DefaultPath(RepoPaths.Root));
    private static readonly Lazy<CellLibrary> _library = new(() => CellLibrary.Build(Tech, new Characterizer(Tech, Cache)));
    public static CellLibrary Library => _library.Value;
}
