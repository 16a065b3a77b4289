namespace KirchhoffHw.Generate.Tests.VerilogAms;

/// <summary>
/// Golden files under VerilogAms/Golden/, compared LF-normalised. Set KIRCHHOFFHW_UPDATE_GOLDEN=1 to rewrite them
/// (then review the diff by hand before committing).
/// </summary>
internal static class Golden
{
    public static string Directory => Path.Combine(RepoPaths.Root, "tests", "KirchhoffHw.Generate.Tests", "VerilogAms", "Golden");

    public static void AssertMatches(string actual, string fileName)
    {
        var path = Path.Combine(Directory, fileName);
        actual = actual.Replace("\r\n", "\n");
        if (Environment.GetEnvironmentVariable("KIRCHHOFFHW_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
            return;
        }
        Assert.That(File.Exists(path), Is.True, $"golden file {path} is missing (run with KIRCHHOFFHW_UPDATE_GOLDEN=1 to create it)");
        var expected = File.ReadAllText(path).Replace("\r\n", "\n");
        if (expected == actual) return;
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        int line = 0;
        while (line < e.Length && line < a.Length && e[line] == a[line]) line++;
        Assert.Fail($"{fileName} differs from its golden file at line {line + 1}:\n" +
                    $"  expected: {(line < e.Length ? e[line] : "<end of file>")}\n" +
                    $"  actual:   {(line < a.Length ? a[line] : "<end of file>")}");
    }
}
