using System.Text.Json;
using KirchhoffHw.Cli;

namespace KirchhoffHw.Report.Tests;

/// <summary>
/// Runs the CLI once per report the tests read: the flow on designs/spiral.yaml (simulated in ngspice), and the
/// report verb on the twomoon and mnist checkpoints (reference only, no simulation), each with the technology named so
/// its cells are sized. Tests read the files back.
/// </summary>
[SetUpFixture]
public sealed class Reports
{
    public static string Root { get; private set; } = "";
    public static string Spiral => Path.Combine(Root, "spiral");
    public static string Twomoon => Path.Combine(Root, "twomoon");
    public static string Mnist => Path.Combine(Root, "mnist");
    public static (int Code, string Out, string Err) SpiralRun { get; private set; }

    public static string Tech => Path.Combine(RepoPaths.Designs, "tech", "ptm45hp.yaml");

    public static readonly string[] SpiralArgs =
        ["flow", Path.Combine(RepoPaths.Designs, "spiral.yaml"), "--random", "6", "--seed", "11", "--capacitance", "1p", "--time-unit", "100n", "--voltage-scale", "0.2", "--jobs", "2",
         "--tech", Tech];

    [OneTimeSetUp]
    public void RunAll()
    {
        Root = Path.Combine(Path.GetTempPath(), $"kh-report-{Guid.NewGuid():N}");
        SpiralRun = Cli([.. SpiralArgs, "-o", Spiral]);
        Assert.That(SpiralRun.Code, Is.Zero, SpiralRun.Err + SpiralRun.Out);
        foreach (var (name, dir) in new[] { ("twomoon", Twomoon), ("mnist", Mnist) })
        {
            var run = Cli("report", RepoPaths.Model(name, "model.pth"), "--inputs", RepoPaths.Model(name, "vectors.json"),
                "--capacitance", "1p", "--time-unit", "1u", "--tech", Tech, "--output", dir);
            Assert.That(run.Code, Is.Zero, run.Err + run.Out);
        }
    }

    [OneTimeTearDown]
    public void Clean()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }

    public static (int Code, string Out, string Err) Cli(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = App.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    public static JsonElement Json(string dir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "report.json"))).RootElement;
}
