namespace KirchhoffHw.Generate.Tests.VerilogAms;

/// <summary>
/// Golden files under VerilogAms/Golden/, compared LF-normalised. KIRCHHOFFHW_UPDATE_GOLDEN=1 rewrites a file that
/// differs and fails the test anyway, so an update is never a pass: review the diff (git diff) and rerun without it.
/// </summary>
internal static class Golden
{
    public static string Directory => Path.Combine(RepoPaths.Root, "tests", "KirchhoffHw.Generate.Tests", "VerilogAms", "Golden");

    public static void AssertMatches(string actual, string fileName, string? directory = null)
    {
        var path = Path.Combine(directory ?? Directory, fileName);
        actual = actual.Replace("\r\n", "\n");
        var expected = File.Exists(path) ? File.ReadAllText(path).Replace("\r\n", "\n") : null;
        if (expected == actual) return;
        if (Environment.GetEnvironmentVariable("KIRCHHOFFHW_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
            Assert.Fail($"golden file {path} was {(expected is null ? "created" : "rewritten")}: review the diff, then rerun without KIRCHHOFFHW_UPDATE_GOLDEN");
        }
        Assert.That(expected, Is.Not.Null, $"golden file {path} is missing (run with KIRCHHOFFHW_UPDATE_GOLDEN=1 to create it, then review it)");
        var e = expected!.Split('\n');
        var a = actual.Split('\n');
        int line = 0;
        while (line < e.Length && line < a.Length && e[line] == a[line]) line++;
        Assert.Fail($"{fileName} differs from its golden file at line {line + 1}:\n" +
                    $"  expected: {(line < e.Length ? e[line] : "<end of file>")}\n" +
                    $"  actual:   {(line < a.Length ? a[line] : "<end of file>")}");
    }
}
