using KirchhoffHw.Model;

namespace KirchhoffHw.Import.Tests;

/// <summary>Node trims and the calibration note in the design file: exact round trips, old files unchanged, bad values located.</summary>
public class CalibratedDesignYamlTests
{
    private static Design Tiny => ModelLoader.Load(Path.Combine(RepoPaths.Designs, "tiny.yaml")).Design;

    private static CalibrationNote Note(int? argmax, int? seed) => new(
        new Units(2e-12, 1e-7, 0.0194720171817758),
        "ptm45hp", "typical", "1a33541426452c22", "fitted cells",
        new TeacherReference("/models/a b/model.pth", seed is null ? null : "/models/a b/config.yaml", "37f4237d199494147f71845de2152aa07b367e08b437e91ddc00af2439e23ecb"),
        new CalibrationSummary("max-iterations", false, 3, 4, 1.25, 16, 8, seed, 1800, 2,
            [178.68169489686875, 0.1 + 0.2, 1e-300],
            new HeldOutSummary(0.995012157262809, double.NaN, 1.4947070308301176, argmax),
            new HeldOutSummary(0.1, 0.13, 0.2, argmax)));

    [TestCase(null, 1)]
    [TestCase(7, null)]
    public void When_CalibratedDesignIsWrittenAndRead_Expect_TheSameDesignAndTheSameText(int? argmax, int? seed)
    {
        var design = Tiny.WithNodeTrims([0.1 + 0.2, -1e-17, 0]).WithCalibration(Note(argmax, seed));
        var text = Write(design);
        var back = DesignYaml.Parse(text, "t.yaml");
        Assert.That(back.NodeTrims, Is.EqualTo(design.NodeTrims), "trims bit for bit");
        Assert.That(back.Calibration!.Same(design.Calibration), Is.True, "the note, loss curve included");
        Assert.That(double.IsNaN(back.Calibration!.Summary.Before.RelativeError), Is.True, "a NaN error survives");
        Assert.That(Write(back), Is.EqualTo(text));
    }

    [Test]
    public void When_DesignWithoutTrimsIsRead_Expect_NoTrimsNoNoteAndTheOldText()
    {
        var path = Path.Combine(RepoPaths.Designs, "tiny.yaml");
        var design = DesignYaml.Load(path);
        Assert.That((design.NodeTrims, design.Calibration), Is.EqualTo(((double[]?)null, (CalibrationNote?)null)));
        Assert.That(Write(design), Does.Not.Contain("node_trims").And.Not.Contain("calibration"));
    }

    [Test]
    public void When_TrimsHaveTheWrongCountOrAreNotFinite_Expect_LocatedErrors()
    {
        var text = Write(Tiny);
        var wrong = Assert.Throws<KirchhoffHwException>(() => DesignYaml.Parse(text.Replace("layers:", "node_trims: [1, 2]\nlayers:"), "t.yaml"))!;
        Assert.That(wrong.Message, Does.Match(@"t\.yaml:\d+:\d+: node_trims has 2 values but the design has 3 nodes"));
        var nan = Assert.Throws<KirchhoffHwException>(() => DesignYaml.Parse(text.Replace("layers:", "node_trims: [1, .nan, 0]\nlayers:"), "t.yaml"))!;
        Assert.That(nan.Message, Does.Match(@"t\.yaml:\d+:\d+: node_trims\[1\] \(node 2\) is \.nan; trims must be finite"));
    }

    [Test]
    public void When_CalibrationHasAnUnknownKeyOrMissesOne_Expect_LocatedErrors()
    {
        var text = Write(Tiny.WithCalibration(Note(null, 1)));
        var unknown = Assert.Throws<KirchhoffHwException>(() => DesignYaml.Parse(text.Replace("  status:", "  colour: red\n  status:"), "t.yaml"))!;
        Assert.That(unknown.Message, Does.Match(@"t\.yaml:\d+:\d+: unknown key 'colour' in calibration"));
        var missing = Assert.Throws<KirchhoffHwException>(() => DesignYaml.Parse(string.Join("\n", text.Split('\n').Where(l => !l.StartsWith("  loss:"))), "t.yaml"))!;
        Assert.That(missing.Message, Does.Contain("calibration needs 'loss'"));
    }

    private static string Write(Design d)
    {
        var w = new StringWriter { NewLine = "\n" };
        DesignYaml.Write(d, w);
        return w.ToString();
    }
}
