using System.Text.Json;

namespace KirchhoffHw.Cli.Tests;

/// <summary>`kirchhoffhw tolerance` on twomoon: a sweep that holds at small strengths and fails at large ones, written as JSON.</summary>
public class ToleranceTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), $"kh-tol-{Guid.NewGuid():N}"));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static readonly string Twomoon = RepoPaths.Model("twomoon", "model.pth");

    [Test]
    public void When_TwomoonSwept_Expect_HoldsSmallFailsLargeAndToleratedInBetween()
    {
        var json = Path.Combine(_dir, "tol.json");
        var (code, output, err) = CliRun.Run("tolerance", Twomoon, "--random", "40", "--seed", "2", "--imperfections", "gain,offset",
            "--strengths", "1e-4,1e-2,0.3", "-o", json);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("gain").And.Contain("tolerated"));
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.That(root.GetProperty("cases").GetInt32(), Is.EqualTo(40));
        Assert.That(root.GetProperty("criterion").GetString(), Does.Contain("5 %"));
        foreach (var kind in root.GetProperty("imperfections").EnumerateArray())
        {
            var points = kind.GetProperty("points").EnumerateArray().ToList();
            Assert.That(points[0].GetProperty("holds").GetBoolean(), Is.True, $"{kind.GetProperty("name")} at 1e-4");
            Assert.That(points[^1].GetProperty("holds").GetBoolean(), Is.False, $"{kind.GetProperty("name")}: the sweep ends at its first failure");
            double tolerated = kind.GetProperty("tolerated").GetDouble();
            Assert.That(tolerated, Is.LessThan(points[^1].GetProperty("strength").GetDouble()));
            var errors = points.Select(p => p.GetProperty("mean_sample_error").GetDouble()).ToList();
            Assert.That(errors, Is.Ordered, "a stronger imperfection of the same draw costs more");
        }
        Assert.That(root.GetProperty("imperfections").EnumerateArray().Select(k => k.GetProperty("name").GetString()), Is.EquivalentTo(new[] { "gain", "offset" }));
    }

    [Test]
    public void When_LagSwept_Expect_ErrorGrowingWithTheLag_AndABudgetInSeconds()
    {
        var json = Path.Combine(_dir, "lag.json");
        var (code, _, err) = CliRun.Run("tolerance", Twomoon, "--random", "16", "--seed", "7", "--imperfections", "lag",
            "--strengths", "1e-4,1e-3,1e-1", "--time-unit", "100n", "-o", json);
        Assert.That(code, Is.EqualTo(0), err);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var lag = doc.RootElement.GetProperty("imperfections").EnumerateArray().Single();
        Assert.That(lag.GetProperty("name").GetString(), Is.EqualTo("lag"));
        var points = lag.GetProperty("points").EnumerateArray().ToList();
        var errors = points.Select(p => p.GetProperty("mean_sample_error").GetDouble()).ToList();
        Assert.That(errors[0], Is.GreaterThan(0), "a lag moves the outputs");
        // first order in the lag: ten times the lag, about ten times the error while it is small
        Assert.That(errors[1] / errors[0], Is.InRange(7.0, 13.0));
        Assert.That(points[^1].GetProperty("holds").GetBoolean(), Is.False, "a tenth of a time unit is far beyond what twomoon tolerates");
        double tolerated = lag.GetProperty("tolerated").GetDouble();
        Assert.That(lag.GetProperty("tolerated_seconds").GetDouble(), Is.EqualTo(tolerated * 100e-9).Within(1e-12 * tolerated));
        Assert.That(err, Does.Contain("lag budget: ").And.Contain(" s at 1E-07 s per unit").IgnoreCase);
    }

    [Test]
    public void When_CellsAskedAtAnAutomaticVoltageScale_Expect_TheV2LawAtTheChosenScaleWithItsFigures()
    {
        // the voltage scale decides what the cells see: auto is chosen from the reference as verify chooses it, not left at 1 V
        var json = Path.Combine(_dir, "cells.json");
        var (code, output, err) = CliRun.Run("tolerance", Twomoon, "--random", "8", "--seed", "1", "--imperfections", "lag", "--strengths", "1e-3",
            "--capacitance", "1p", "--time-unit", "1u", "--voltage-scale", "auto", "--tech", Path.Combine(RepoPaths.Designs, "tech", "ptm45hp.yaml"), "-o", json);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("chosen automatically"));
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var cells = doc.RootElement.GetProperty("cells");
        Assert.That(cells.GetProperty("voltage_scale").GetDouble(), Is.InRange(0.005, 0.05), "twomoon's ~21-unit states inside +-0.5 V rails");
        Assert.That(cells.GetProperty("model").GetString(), Does.StartWith("v2 cells").And.Contain("that late"), "the law the deck's cells follow, settling included");
        Assert.That(cells.GetProperty("figures").GetArrayLength(), Is.Zero, "the per-device cells are not what the v2 deck builds");
        Assert.That(cells.GetProperty("unit_figures").EnumerateArray().Select(f => f.GetProperty("figure").GetString()), Does.Contain("to/from mismatch at balance"));
        // the lagged v2 law at 1 us is within a few tens of percent of the spread, where the same law at 1 V per unit is far off
        Assert.That(cells.GetProperty("mean_sample_error").GetDouble() / cells.GetProperty("reference_std").GetDouble(), Is.LessThan(0.5));
    }

    [Test]
    public void When_ImperfectionOrStrengthBad_Expect_OneErrorLineExit2NothingWritten()
    {
        var json = Path.Combine(_dir, "tol.json");
        var (code, _, err) = CliRun.Run("tolerance", Twomoon, "--random", "4", "--imperfections", "gain,wobble", "-o", json);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("wobble").And.Contain("systematic-offset"));
        (code, _, err) = CliRun.Run("tolerance", Twomoon, "--random", "4", "--strengths", "1e-3,-1", "-o", json);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("--strengths").And.Contain("-1"));
        Assert.That(File.Exists(json), Is.False);
    }
}
