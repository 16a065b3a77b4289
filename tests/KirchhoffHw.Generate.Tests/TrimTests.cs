using System.Globalization;
using KirchhoffHw.Generate.Dialects;
using KirchhoffHw.Generate.Dialects.Ngspice;
using KirchhoffHw.Generate.Dialects.VerilogAms;
using KirchhoffHw.Generate.Tests.Adms;
using KirchhoffHw.Import;
using KirchhoffHw.Model;

namespace KirchhoffHw.Generate.Tests;

/// <summary>
/// Node trims in the generators: a current source per trimmed node from ground into it while any bank conducts, as the
/// reference's KCL adds them (the simulated equivalence is CalibrateTests' ideal verification of a trimmed design).
/// </summary>
public class TrimTests
{
    private static Design Spiral => ModelLoader.Load(Path.Combine(RepoPaths.Designs, "spiral.yaml")).Design;

    [Test]
    public void When_DesignHasTrims_Expect_OneSourcePerNonzeroTrimFromGroundIntoTheNode()
    {
        var d = Spiral.With(units: new Units(1e-12, 1e-9, 0.1)).WithNodeTrims([0.25, 0, -0.5]);
        var lines = new NgspiceEmitter().FormatDeck(d, SpiceOptions.Default with { Input = [0.1, 0.2] }).Split('\n');
        var trims = lines.Where(l => l.StartsWith("Itrim")).ToList();
        Assert.That(trims, Has.Count.EqualTo(2), "a zero trim needs no source");
        Assert.That(trims[0], Does.StartWith("Itrim1 0 n1 PWL(0 "));
        Assert.That(trims[1], Does.StartWith("Itrim3 0 n3 PWL(0 "));
        // spiral's layers are adjacent, so the source is one constant from t = 0 to the read-out: trim x C V_s / tau amperes.
        double amps = 0.25 * 1e-12 * 0.1 / 1e-9;
        var points = trims[0]["Itrim1 0 n1 PWL(".Length..^1].Split(' ').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        Assert.That(points, Is.EqualTo(new[] { 0, amps, d.TEnd * 1e-9, amps }).Within(1e-15));
        var untrimmed = new NgspiceEmitter().FormatDeck(d.WithNodeTrims(null), SpiceOptions.Default with { Input = [0.1, 0.2] });
        Assert.That(untrimmed, Does.Not.Contain("Itrim").And.Not.Contain("node trims"));
    }

    [Test]
    public void When_LayersLeaveAGap_Expect_TheTrimOffInTheGap()
    {
        var d = Spiral;
        var layers = d.Layers.Select((l, i) => i == 0 ? l : new Layer(l.TStart + 1, l.TEnd + 1, l.Model, l.Edges, l.Theta)).ToList();
        var windows = Netlister.GetTrimWindows(d.With(layers: layers));
        Assert.That(windows, Is.EqualTo(new[] { (layers[0].TStart, layers[0].TEnd, false), (layers[1].TStart, layers[2].TEnd, true) }));
    }

    [Test]
    public void When_TrimmedVerilogAmsIsParsedByAdms_Expect_ATrimPerNodeAndLayerInjectingIntoTheNode()
    {
        var d = Spiral.WithNodeTrims([0.25, 0, -0.5]);
        var emitter = new VerilogAmsEmitter();
        var files = VerilogAmsEmitter.GetFileNames(d);
        var devices = emitter.FormatDevices(Netlister.GetModels(d), d.Name, trims: true);
        var parse = AdmsXml.Parse([(files.Devices, devices), (files.Top, emitter.FormatTop(d))]);
        var trim = parse.Contributions["kh_trim"].Single();
        Assert.That((trim.Access, trim.PNode, trim.NNode), Is.EqualTo(("I", "p", "GND")));
        var vars = new Dictionary<string, double> { ["t"] = 0.25, ["k"] = 2.0 };
        Assert.That(trim.Tree.Evaluate(new Dictionary<string, double> { ["p"] = 0.3, ["ph"] = 1 }, vars), Is.EqualTo(-0.5), "out of p = -k t: k t into the node");
        Assert.That(trim.Tree.Evaluate(new Dictionary<string, double> { ["p"] = 0.3, ["ph"] = 0 }, vars), Is.Zero);
        var instances = parse.Instances[VerilogNames.TopModule(d.Name)].Where(i => i.Module == "kh_trim").ToList();
        Assert.That(instances.Select(i => (i.Name, i.Terminals["p"], i.Terminals["ph"])), Is.EquivalentTo(new[]
        {
            ("T1_0", "n1", "ph0"), ("T1_1", "n1", "ph1"), ("T1_2", "n1", "ph2"),
            ("T3_0", "n3", "ph0"), ("T3_1", "n3", "ph1"), ("T3_2", "n3", "ph2"),
        }));
        Assert.That(emitter.FormatDevices(Netlister.GetModels(d), d.Name), Does.Not.Contain("kh_trim"), "an untrimmed library is unchanged");
    }
}
