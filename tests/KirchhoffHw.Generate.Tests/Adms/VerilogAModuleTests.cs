using KirchhoffHw.Generate.Dialects;
using KirchhoffHw.Generate.Dialects.VerilogAms;
using KirchhoffHw.Import;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Generate.Tests.Adms;

/// <summary>
/// The Verilog-A device modules, read back through ADMS's parser and evaluated against the reference laws:
/// what a simulator compiling these modules computes is what <see cref="DeviceModel.Current(double, double, ReadOnlySpan{double})"/> computes.
/// </summary>
public class VerilogAModuleTests
{
    private static readonly VerilogAmsEmitter Emitter = new();

    private static IEnumerable<DeviceModel> Models => DeviceModels.All;

    [TestCaseSource(nameof(Models))]
    public void When_ModelModulesAreParsedByAdms_Expect_ContributionsEqualTheReferenceCurrent(DeviceModel model)
    {
        var modules = AdmsXml.Parse(Emitter.FormatDevices([model]));
        string plain = $"kh_{model.Name}", gated = plain + "_ph";
        Assert.That(modules.Keys, Is.EquivalentTo(new[] { "kh_cap", "kh_precharge", plain, gated }));
        foreach (var name in new[] { plain, gated })
        {
            Assert.That(modules[name], Has.Count.EqualTo(1), name);
            var c = modules[name][0];
            Assert.That((c.Access, c.PNode, c.NNode), Is.EqualTo(("I", "src", "dst")), $"{name}: a current from src to dst");
        }

        var random = new Random(20240611 + model.Name.Length);
        double Draw(double scale) => scale * (2 * random.NextDouble() - 1);
        int checkedSamples = 0;
        for (int s = 0; s < 500; s++)
        {
            var p = Enumerable.Range(0, model.ParameterCount).Select(_ => Draw(2)).ToArray();
            double vs = Draw(3), vd = Draw(3);
            double k = Math.Exp(Draw(20)), vscale = s % 2 == 0 ? 1.0 : Math.Exp(Draw(3));
            var variables = model.ParameterNames.Select((n, i) => (n, p[i])).Append(("k", k)).Append(("vscale", vscale))
                .ToDictionary(x => x.Item1, x => x.Item2);
            double expected = k * model.Current(vs, vd, p);
            foreach (var (ph, on) in new[] { (1.0, true), (0.9, true), (0.5, false), (0.0, false) })
            {
                var voltages = new Dictionary<string, double> { ["src"] = vs * vscale, ["dst"] = vd * vscale, ["ph"] = ph };
                double actualPlain = modules[plain][0].Tree.Evaluate(voltages, variables);
                double actualGated = modules[gated][0].Tree.Evaluate(voltages, variables);
                Assert.That(actualPlain, Is.EqualTo(expected).Within(Tolerance(expected, k)), $"{plain} at vs={vs}, vd={vd}, p=[{string.Join(", ", p)}], k={k}, vscale={vscale}");
                Assert.That(actualGated, on ? Is.EqualTo(expected).Within(Tolerance(expected, k)) : Is.Zero, $"{gated} at V(ph) = {ph}");
            }
            if (expected != 0) checkedSamples++;
        }
        Assert.That(checkedSamples, Is.GreaterThan(100), "enough samples with a non-zero current");
    }

    /// <summary>1e-12 relative; the absolute floor covers laws that cancel to ~0 (a ReLU exactly at its kink is measure-zero).</summary>
    private static double Tolerance(double expected, double k) => 1e-12 * Math.Abs(expected) + 1e-15 * k;

    [Test]
    public void When_LibraryModulesAreParsedByAdms_Expect_CapacitorAndPrechargeLaws()
    {
        var modules = AdmsXml.Parse(Emitter.FormatDevices([]));
        Assert.That(modules.Keys, Is.EquivalentTo(new[] { "kh_cap", "kh_precharge" }));
        var cap = modules["kh_cap"].Single();
        Assert.That((cap.Access, cap.PNode, cap.NNode, cap.Tree.ToString()),
            Is.EqualTo(("I", "p", "n", "(multtime (variable c) (call ddt (probe V p n)))")));
        var pre = modules["kh_precharge"].Single();
        Assert.That((pre.Access, pre.PNode, pre.NNode), Is.EqualTo(("I", "p", "GND")));
        var vars = new Dictionary<string, double> { ["v"] = 0.75, ["g"] = 1e8 };
        Assert.That(pre.Tree.Evaluate(new Dictionary<string, double> { ["p"] = 0.5, ["ctl"] = 1 }, vars), Is.EqualTo(1e8 * (0.5 - 0.75)).Within(1e-6));
        Assert.That(pre.Tree.Evaluate(new Dictionary<string, double> { ["p"] = 0.5, ["ctl"] = 0.5 }, vars), Is.Zero);
    }

    [TestCase("tiny.yaml", "rc-ladder\n`define x */ endmodule module evil;")]
    [TestCase("spiral.yaml", "spiral")]
    public void When_DesignDeviceFileIsParsedByAdms_Expect_ExactlyTheLibraryAndTheDesignsModels(string file, string name)
    {
        var design = ModelLoader.Load(Path.Combine(RepoPaths.Designs, file)).Design.With(name: name);
        var modules = AdmsXml.Parse(Emitter.FormatDevices(Netlister.GetModels(design), design.Name));
        var expected = design.Layers.Select(l => l.Model.Name).Distinct()
            .SelectMany(m => new[] { $"kh_{m}", $"kh_{m}_ph" }).Concat(["kh_cap", "kh_precharge"]);
        Assert.That(modules.Keys, Is.EquivalentTo(expected));
        Assert.That(modules.Values.Select(v => v.Count), Is.All.EqualTo(1));
    }

    [Test]
    public void When_TwomoonTopIsParsedByAdms_Expect_EveryInstanceWithItsNetsAndExactParameters()
    {
        var design = ModelLoader.Load(Path.Combine(RepoPaths.Models, "twomoon", "model.pth")).Design;
        var files = VerilogAmsEmitter.GetFileNames(design);
        var parse = AdmsXml.Parse([
            (files.Devices, Emitter.FormatDevices(Netlister.GetModels(design), design.Name)),
            (files.Top, Emitter.FormatTop(design)),
        ]);
        var instances = parse.Instances[VerilogNames.TopModule(design.Name)];
        Assert.That(instances, Has.Count.EqualTo(design.DeviceCount + design.NodeCount));
        var byName = instances.ToDictionary(i => i.Name);
        for (int k = 1; k <= design.NodeCount; k++)
        {
            var cap = byName[$"C{k}"];
            Assert.That((cap.Module, cap.Terminals["p"], cap.Terminals["n"]), Is.EqualTo(("kh_cap", $"n{k}", "gnd")));
        }
        var none = new Dictionary<string, double>();
        for (int li = 0; li < design.Layers.Count; li++)
        {
            var layer = design.Layers[li];
            for (int e = 0; e < layer.Edges.Count; e++)
            {
                var d = byName[$"L{li}_{e}"];
                Assert.That(d.Module, Is.EqualTo($"kh_{layer.Model.Name}_ph"));
                Assert.That(d.Terminals, Is.EquivalentTo(new Dictionary<string, string>
                {
                    ["src"] = Net(layer.Edges.Source[e]), ["dst"] = Net(layer.Edges.Destination[e]), ["ph"] = $"ph{li}",
                }));
                var values = layer.Model.ParameterNames.Select(n => d.Parameters[n].Evaluate(none, none));
                Assert.That(values, Is.EqualTo(layer.ParametersOf(e)), $"L{li}_{e}: parameters read back bit-exact");
                Assert.That((d.Parameters["k"].ToString(), d.Parameters["vscale"].ToString()), Is.EqualTo(("(variable k)", "(variable vscale)")));
            }
        }
    }

    private static string Net(int node) => node == 0 ? "gnd" : $"n{node}";
}
