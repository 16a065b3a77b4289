using System.Text.RegularExpressions;
using KirchhoffHw.Generate.Dialects;
using KirchhoffHw.Generate.Dialects.VerilogAms;
using KirchhoffHw.Import;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Generate.Tests.VerilogAms;

public class VerilogAmsEmitterTests
{
    private static readonly VerilogAmsEmitter Emitter = new();
    private static Design Tiny => ModelLoader.Load(Path.Combine(RepoPaths.Designs, "tiny.yaml")).Design;
    private static readonly Lazy<Design> Twomoon = new(() => ModelLoader.Load(Path.Combine(RepoPaths.Models, "twomoon", "model.pth")).Design);

    [Test]
    public void When_TinyIsWritten_Expect_FilesMatchGolden()
    {
        var dir = Directory.CreateTempSubdirectory("kh-vams-").FullName;
        try
        {
            var paths = Emitter.WriteAll(Tiny, VerilogAmsOptions.Default with { Input = [1, 0.5] }, dir);
            Assert.That(paths.Select(Path.GetFileName), Is.EqualTo(new[] { "rc_ladder_devices.va", "rc_ladder_top.vams", "rc_ladder_tb.vams" }));
            foreach (var path in paths) Golden.AssertMatches(File.ReadAllText(path), Path.GetFileName(path));
            Assert.That(Directory.GetFiles(dir), Has.Length.EqualTo(3), "no temporary files left behind");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void When_TwomoonTopIsWritten_Expect_OneInstancePerDeviceAndCapacitorAndOneNetPerNode()
    {
        var design = Twomoon.Value;
        var text = Emitter.FormatTop(design);
        TopCounts.Of(text.Split('\n')).AssertMatches(design);
        // Each layer's instances name that layer's gated model, its phase and, in order, its edges' nets.
        for (int li = 0; li < design.Layers.Count; li++)
        {
            var layer = design.Layers[li];
            var lines = text.Split('\n').Where(l => l.Contains($") L{li}_")).ToList();
            Assert.That(lines, Has.Count.EqualTo(layer.Edges.Count));
            for (int e = 0; e < layer.Edges.Count; e += 37)
            {
                var m = Regex.Match(lines[e], @"^  (\w+) #\((.*)\) L\d+_(\d+) \((\w+), (\w+), (\w+)\);$");
                Assert.That(m.Success, Is.True, lines[e]);
                Assert.That(m.Groups[1].Value, Is.EqualTo($"kh_{layer.Model.Name}_ph"));
                Assert.That(int.Parse(m.Groups[3].Value), Is.EqualTo(e));
                Assert.That(m.Groups[4].Value, Is.EqualTo(Net(layer.Edges.Source[e])));
                Assert.That(m.Groups[5].Value, Is.EqualTo(Net(layer.Edges.Destination[e])));
                Assert.That(m.Groups[6].Value, Is.EqualTo($"ph{li}"));
                var values = Regex.Matches(m.Groups[2].Value, @"\.p(\d)\(([^)]*)\)").Select(v => double.Parse(v.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
                Assert.That(values, Is.EqualTo(layer.ParametersOf(e)), "parameters round-trip exactly");
            }
        }
    }

    [Test]
    public void When_MnistIsWritten_Expect_460136DeviceInstancesAndEveryNodeNetAndPrecharge()
    {
        var design = ModelLoader.Load(Path.Combine(RepoPaths.Models, "mnist", "model.pth")).Design;
        Assert.That(design.DeviceCount, Is.EqualTo(460_136));
        var dir = Directory.CreateTempSubdirectory("kh-vams-mnist-").FullName;
        try
        {
            var paths = Emitter.WriteAll(design, VerilogAmsOptions.Default, dir);
            TopCounts.Of(File.ReadLines(paths[1])).AssertMatches(design);
            var tb = File.ReadAllText(paths[2]);
            Assert.That(Regex.Matches(tb, @"kh_precharge #\(\.v\(0\), ").Count, Is.EqualTo(design.NodeCount), "empty input: every node precharged to 0 V");
            Assert.That(Regex.Matches(tb, @"\$strobe\(""kh_out n(\d+) ").Select(m => int.Parse(m.Groups[1].Value)), Is.EqualTo(design.OutputNodes));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void When_TestbenchIsWritten_Expect_EveryNodePrechargedToItsInputAndOutputsStrobedAtTheEnd()
    {
        var design = Twomoon.Value.With(units: new Units(1e-12, 1e-6, 0.5));
        var text = Emitter.FormatTestbench(design, VerilogAmsOptions.Default with { Input = [0.25, -1.5] });
        var precharge = Regex.Matches(text, @"kh_precharge #\(\.v\(([^)]*)\), \.g\([^)]*\)\) P(\d+) \((\w+), pre\);");
        Assert.That(precharge.Select(m => (m.Groups[3].Value, m.Groups[1].Value)),
            Is.EqualTo(new[] { ("n1", "0.125"), ("n2", "-0.75") }), "input x vscale volts on every node");
        // Phase edge 1e-6 model units = 1e-12 s: release at t0 = 1e-12 s, read-out at t0 + 1.0 x 1e-6 s; each
        // phase event fires half an edge before its boundary.
        double tau = 1e-6, edge = 1e-12, t0 = edge;
        string F(double v) => Formatting.Numbers.Format(v);
        Assert.Multiple(() =>
        {
            Assert.That(text, Does.Contain($"@(timer({F(t0 + 1.0 * tau)})) begin"));
            Assert.That(design.OutputNodes, Is.EqualTo(new[] { 1, 2 }));
            foreach (var n in new[] { "n1", "n2" }) Assert.That(text, Does.Contain($"$strobe(\"kh_out {n} %.17g\", V({n}));"));
            Assert.That(text, Does.Contain($"@(timer({F(t0 - edge / 2)})) begin  // model time 0: t = {F(t0)} s"));
            Assert.That(text, Does.Contain($"@(timer({F(t0 + 0.5 * tau - edge / 2)})) begin  // model time 0.5: t = {F(t0 + 0.5 * tau)} s"));
            Assert.That(text, Does.Contain($"V(ph1) <+ transition(ph1_level, 0, {F(edge)}, {F(edge)});"));
        });
    }

    [Test]
    public void When_DesignUsesUnits_Expect_TopCarriesThemAndDerivesTheCurrentScale()
    {
        var text = Emitter.FormatTop(Tiny.With(units: new Units(2e-12, 1e-9, 0.25)));
        Assert.Multiple(() =>
        {
            Assert.That(text, Does.Contain("parameter real c = 2E-12 from (0:inf);"));
            Assert.That(text, Does.Contain("parameter real time_unit = 1E-09 from (0:inf);"));
            Assert.That(text, Does.Contain("parameter real vscale = 0.25 from (0:inf);"));
            Assert.That(text, Does.Contain("parameter real k = c * vscale / time_unit from (0:inf);"));
        });
    }

    [TestCase("x\nendmodule\nmodule evil;")]
    [TestCase("*/ `include \"/etc/passwd\" /*")]
    [TestCase("`define V(x) 0\r\n\\")]
    [TestCase("endmodule")]
    [TestCase("\u2028analog begin $finish; end\u0085")]
    public void When_DesignNameCarriesVerilogText_Expect_ItStaysInsideOneCommentOrAnIdentifier(string name)
    {
        var design = Tiny.With(name: name);
        var texts = new[]
        {
            Emitter.FormatDevices(Netlister.GetModels(design), design.Name),
            Emitter.FormatTop(design),
            Emitter.FormatTestbench(design, VerilogAmsOptions.Default),
        };
        var clean = new[]
        {
            Emitter.FormatDevices(Netlister.GetModels(Tiny), Tiny.Name),
            Emitter.FormatTop(Tiny),
            Emitter.FormatTestbench(Tiny, VerilogAmsOptions.Default),
        };
        var id = VerilogNames.Design(name);
        Assert.That(id, Does.Match("^[A-Za-z_][A-Za-z0-9_]*$"));
        for (int f = 0; f < texts.Length; f++)
        {
            var lines = texts[f].Split('\n');
            var reference = clean[f].Split('\n');
            Assert.That(lines, Has.Length.EqualTo(reference.Length), "no line was added");
            Assert.That(texts[f], Does.Not.Contain("`define").And.Not.Contain("\r").And.Not.Contain("\\"));
            Assert.That(texts[f].Count(c => c == '`'), Is.EqualTo(clean[f].Count(c => c == '`')), "only our own `include");
            for (int i = 0; i < lines.Length; i++)
            {
                if (lines[i] == reference[i]) continue;
                // A line that differs is a comment or carries the design identifier in a module name.
                var commentFree = lines[i].Split("//")[0];
                var cleanFree = reference[i].Split("//")[0];
                Assert.That(commentFree.Replace(id, "rc_ladder"), Is.EqualTo(cleanFree), $"line {i + 1}: {lines[i]}");
            }
            Assert.That(Regex.Matches(texts[f], @"^endmodule$", RegexOptions.Multiline).Count,
                Is.EqualTo(Regex.Matches(clean[f], @"^endmodule$", RegexOptions.Multiline).Count));
        }
    }

    [Test]
    public void When_InputIsLongerThanTheDesign_Expect_KirchhoffHwExceptionAndNoFiles()
    {
        var dir = Path.Combine(Path.GetTempPath(), "kh-vams-bad-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<KirchhoffHwException>(() => Emitter.WriteAll(Tiny, VerilogAmsOptions.Default with { Input = [1, 2, 3, 4] }, dir));
        Assert.That(e!.Message, Does.Contain("4 values").And.Contain("3 nodes"));
        Assert.That(Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any(), Is.False);
    }

    [Test]
    public void When_InputIsNotFinite_Expect_KirchhoffHwException()
    {
        Assert.Throws<KirchhoffHwException>(() => Emitter.FormatTestbench(Tiny, VerilogAmsOptions.Default with { Input = [double.NaN] }));
    }

    [TestCase(0.0)]
    [TestCase(-1e-6)]
    [TestCase(double.NaN)]
    public void When_PhaseEdgeIsNotPositive_Expect_KirchhoffHwException(double edge)
    {
        var e = Assert.Throws<KirchhoffHwException>(() => Emitter.FormatTestbench(Tiny, VerilogAmsOptions.Default with { PhaseEdge = edge }));
        Assert.That(e!.Message, Does.Contain("phase edge"));
    }

    [Test]
    public void When_WrittenTwice_Expect_IdenticalText()
    {
        var design = Twomoon.Value;
        Assert.That(Emitter.FormatTop(design), Is.EqualTo(Emitter.FormatTop(design)));
        Assert.That(Emitter.FormatDevices(DeviceModels.All), Is.EqualTo(Emitter.FormatDevices(DeviceModels.All)));
    }

    internal static string Net(int node) => node == 0 ? "gnd" : $"n{node}";

    /// <summary>The top module's device instances per layer, capacitor instances and declared nets, read line by line.</summary>
    internal sealed class TopCounts
    {
        public Dictionary<int, long> DevicesPerLayer { get; } = [];
        public long Devices => DevicesPerLayer.Values.Sum();
        public long Capacitors { get; private set; }
        public HashSet<string> Nets { get; } = [];

        public static TopCounts Of(IEnumerable<string> lines)
        {
            var counts = new TopCounts();
            string? declaration = null;
            foreach (var raw in lines)
            {
                var line = raw.Trim();
                if (declaration is null && line.StartsWith("electrical ", StringComparison.Ordinal)) declaration = "";
                if (declaration is not null)
                {
                    declaration += line;
                    if (!line.EndsWith(';')) continue;
                    foreach (var n in declaration["electrical ".Length..].TrimEnd(';').Split(',')) counts.Nets.Add(n.Trim());
                    declaration = null;
                }
                else if (line.StartsWith("kh_cap ", StringComparison.Ordinal)) counts.Capacitors++;
                else if (line.StartsWith("kh_", StringComparison.Ordinal))
                {
                    var m = Regex.Match(line, @"\) L(\d+)_\d+ \(");
                    Assert.That(m.Success, Is.True, line);
                    var layer = int.Parse(m.Groups[1].Value);
                    counts.DevicesPerLayer[layer] = counts.DevicesPerLayer.GetValueOrDefault(layer) + 1;
                }
            }
            return counts;
        }

        public void AssertMatches(Design design)
        {
            Assert.Multiple(() =>
            {
                Assert.That(Devices, Is.EqualTo(design.DeviceCount));
                for (int li = 0; li < design.Layers.Count; li++)
                    Assert.That(DevicesPerLayer.GetValueOrDefault(li), Is.EqualTo(design.Layers[li].Edges.Count), $"layer {li}");
                Assert.That(Capacitors, Is.EqualTo(design.NodeCount));
                Assert.That(Nets, Is.EquivalentTo(Enumerable.Range(1, design.NodeCount).Select(k => $"n{k}")
                    .Concat(Enumerable.Range(0, design.Layers.Count).Select(l => $"ph{l}")).Append("gnd")));
            });
        }
    }
}
