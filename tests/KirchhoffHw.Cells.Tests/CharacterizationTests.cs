using KirchhoffHw.Cells;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Cells.Tests;

public class CharacterizationTests
{
    [Test]
    public void When_DefaultTechCharacterized_Expect_SaturatingOddTransferAndRectifiedTransfer()
    {
        var lib = Shared.Library;
        foreach (var (t, c) in lib.Characterizations)
        {
            TestContext.Out.WriteLine($"{t}: {c.Y.Length} points, {c.Seconds:F2} s, cached {c.FromCache}");
            var f = c.Shape;
            Assert.That(c.Y.Length, Is.GreaterThan(500));
            // at full positive drive the unit cell delivers a good part of its bias current
            Assert.That(f[^1], Is.InRange(0.5, 1.1), $"{t} at +{Characterizer.SweepVolts} V");
            if (t == CellTopologies.Ota) Assert.That(f[0], Is.InRange(-1.1, -0.5), "ota at -sweep");
            else Assert.That(Math.Abs(f[0]), Is.LessThan(0.01), "rectifier passes nothing for negative inputs");
            Assert.That(f.Zip(f.Skip(1)).All(p => p.Second >= p.First - 1e-4), Is.True, $"{t} is monotonic");
        }
        foreach (var fit in lib.Fits)
        {
            TestContext.Out.WriteLine($"{fit.Topology}/{fit.Operation}: gain {fit.Gain:G4} V/unit, scale {fit.Scale:G4}, rms {fit.RmsError:G3}, max {fit.MaxError:G3}, output-voltage error {fit.OutputVoltageError:G3} over |u| <= {fit.Range}");
            var (max, rms) = DocumentedFits.Of(fit.Topology, fit.Operation);
            Assert.That(fit.MaxError, Is.LessThanOrEqualTo(max), $"{fit.Topology}/{fit.Operation} max error against docs/cells.md");
            Assert.That(fit.RmsError, Is.LessThanOrEqualTo(rms), $"{fit.Topology}/{fit.Operation} rms error against docs/cells.md");
        }
    }

    [Test]
    public void When_CharacterizedTwice_Expect_SecondFromCache()
    {
        var ch = new Characterizer(Shared.Tech, Shared.Cache);
        var first = ch.Get(CellTopologies.Ota);
        var again = ch.Get(CellTopologies.Ota);
        Assert.That(again.FromCache, Is.True);
        Assert.That(File.Exists(ch.CachePath(CellTopologies.Ota)), Is.True);
        Assert.That(again.Shape, Is.EqualTo(first.Shape).Within(1e-12));
    }

    [Test]
    public void When_ACellTemplateChanges_Expect_AnotherCacheEntryInThisRunsOwnCache()
    {
        var copy = Path.Combine(Path.GetTempPath(), $"kh-templates-{Guid.NewGuid():N}");
        try
        {
            var root = Generate.Templating.TemplateSet.Default.Root;
            foreach (var file in Directory.GetFiles(root, "*", SearchOption.AllDirectories))
            {
                var to = Path.Combine(copy, Path.GetRelativePath(root, file));
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                File.Copy(file, to);
            }
            File.AppendAllText(Path.Combine(copy, "spice", "cells", "characterize.sbn"), "* edited\n");
            var original = new Characterizer(Shared.Tech).CachePath(CellTopologies.Ota);
            var edited = new Characterizer(Shared.Tech, templates: new Generate.Templating.TemplateSet(copy)).CachePath(CellTopologies.Ota);
            Assert.That(edited, Is.Not.EqualTo(original));
            Assert.That(Path.GetDirectoryName(Path.GetDirectoryName(original)), Is.EqualTo(RepoPaths.Cache), "KIRCHHOFFHW_CACHE is this test run's folder");
            Assert.That(RepoPaths.Cache, Does.Not.StartWith(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache")), "never the user's cache");
        }
        finally
        {
            if (Directory.Exists(copy)) Directory.Delete(copy, recursive: true);
        }
    }

    [Test]
    public void When_FittedModelEvaluated_Expect_CharacterizedCurveWithinReportedError()
    {
        foreach (var fit in Shared.Library.Fits)
        {
            var c = Shared.Library.Characterizations[fit.Topology];
            double worst = 0;
            for (int i = 0; i <= 400; i++)
            {
                double u = -fit.Range + 2 * fit.Range * i / 400;
                // the characterized curve itself (at full sweep resolution), mapped by the fit's gain, trim and scale
                double y = Math.Clamp(fit.Gain * u, fit.Y[0], fit.Y[^1]) + fit.Offset; // the tables end (flat) where the trimmed sweep does
                double measured = fit.Scale * PartFitTestAccess.Interpolate(c.Y, c.Shape, y);
                worst = Math.Max(worst, Math.Abs(measured - fit.Target(u)));
                Assert.That(Math.Abs(fit.Evaluate(u) - fit.Target(u)), Is.LessThanOrEqualTo(DocumentedFits.Max(fit) * 1.05 + 2e-3), $"{fit.Topology}/{fit.Operation} table at u = {u}");
            }
            Assert.That(worst, Is.LessThanOrEqualTo(fit.MaxError * 1.05 + 1e-9), $"{fit.Topology}/{fit.Operation} characterized curve vs its reported max error");
            Assert.That(worst, Is.LessThanOrEqualTo(DocumentedFits.Max(fit) * 1.05), $"{fit.Topology}/{fit.Operation} characterized curve vs docs/cells.md");
            Assert.That(fit.RmsError, Is.LessThanOrEqualTo(fit.MaxError));
        }
    }
}

internal static class PartFitTestAccess
{
    public static double Interpolate(double[] xs, double[] ys, double x)
    {
        if (x <= xs[0]) return ys[0];
        if (x >= xs[^1]) return ys[^1];
        int i = Array.BinarySearch(xs, x);
        if (i >= 0) return ys[i];
        i = ~i;
        return ys[i - 1] + (x - xs[i - 1]) / (xs[i] - xs[i - 1]) * (ys[i] - ys[i - 1]);
    }
}
