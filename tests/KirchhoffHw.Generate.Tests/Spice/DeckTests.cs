using System.Globalization;
using System.Text.RegularExpressions;
using KirchhoffHw.Generate.Dialects.Ngspice;
using KirchhoffHw.Import;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Generate.Tests.Spice;

public class DeckTests
{
    private static Design Load(string path) => ModelLoader.Load(path).Design;
    private static Design Twomoon => Load(Path.Combine(RepoPaths.Models, "twomoon", "model.pth"));
    private static string Write(Design d, SpiceOptions o) => new NgspiceEmitter().FormatDeck(d, o);
    private static string[] Lines(string deck) => deck.Split('\n');

    [Test]
    public void When_Writing_The_Same_Design_Twice_Expect_Identical_Bytes()
    {
        var d = Twomoon;
        var options = SpiceOptions.Default with { Input = [0.3, -1.2] };
        Assert.That(Write(d, options), Is.EqualTo(Write(Twomoon, options)));
    }

    [Test]
    public void When_Writing_Devices_Style_Expect_One_Instance_Per_Device_And_One_Ic_Per_Node()
    {
        var d = Twomoon;
        var deck = Write(d, SpiceOptions.Default with { Style = DeckStyle.Devices, Input = [0.5, 0.25] });
        var lines = Lines(deck);
        Assert.That(lines.Count(l => l.StartsWith('X')), Is.EqualTo(d.DeviceCount));
        Assert.That(lines.Count(l => l.StartsWith('C')), Is.EqualTo(d.NodeCount));
        Assert.That(lines, Does.Contain(".ic v(n1)=0.5"));
        Assert.That(lines, Does.Contain(".ic v(n2)=0.25"));
        Assert.That(lines.Count(l => l.StartsWith(".subckt ShiftTanh2 ")), Is.EqualTo(1));
        Assert.That(lines.Where(l => l.Length > 0).TakeLast(2), Is.EqualTo(new[] { lines.Single(l => l.StartsWith(".tran ")), ".end" }));
    }

    [Test]
    public void When_Units_Are_1p_1n_Expect_Scaled_Capacitors_Currents_And_Stop_Time()
    {
        var d = Twomoon.With(units: new Units(1e-12, 1e-9, 1));
        var lines = Lines(Write(d, SpiceOptions.Default with { Style = DeckStyle.Devices }));
        Assert.That(lines.Where(l => l.StartsWith('C')), Has.All.EndsWith(" 0 1E-12"));
        Assert.That(lines.Single(l => l.StartsWith("B1 ")), Does.Contain("? 0.001 * tanh("));
        var tran = lines.Single(l => l.StartsWith(".tran")).Split(' ');
        Assert.That(double.Parse(tran[2], CultureInfo.InvariantCulture), Is.EqualTo(1e-9));
    }

    [Test]
    public void When_A_Layer_Ends_Expect_Its_Phase_To_Cross_Half_A_Volt_Exactly_At_The_Boundary()
    {
        var lines = Lines(Write(Twomoon, SpiceOptions.Default));
        var ph0 = lines.Single(l => l.StartsWith("Vph0 "));
        Assert.That(ph0, Does.Contain(" 0.5 0.5 "), "corner (t = 0.5, v = 0.5) makes the boundary a time point");
        Assert.That(lines.Single(l => l.StartsWith("Vph1 ")), Does.Contain(" 0.5 0.5 "));
    }

    private static readonly string[] Hostile =
    [
        "x\n.control\nshell touch /tmp/pwned\n.endc",
        "y\r\n.include /etc/passwd",
        "z\n.end\nV1 a 0 1",
        "\u2028.control",
    ];

    [TestCaseSource(nameof(Hostile))]
    public void When_A_Design_Name_Carries_Spice_Lines_Expect_None_To_Reach_The_Deck(string name)
    {
        var d = Load(Path.Combine(RepoPaths.Designs, "tiny.yaml"));
        d = new Design(name, d.NodeCount, d.Layers, d.Input, d.Readout, d.Units, d.Task);
        foreach (var style in new[] { DeckStyle.Devices, DeckStyle.Merged })
        {
            var deck = Write(d, SpiceOptions.Default with { Style = style, Notes = [name] });
            foreach (var line in Lines(deck).Skip(1))
            {
                Assert.That(line, Does.Not.Match(@"^\s*(\.control|\.endc|shell|\.include|\.lib|V1 a)").IgnoreCase, line);
                Assert.That(line, Does.Not.Contain("\u2028"));
            }
            Assert.That(Lines(deck).Count(l => l == ".end"), Is.EqualTo(1));
        }
    }

    [TestCase("reltol", "1e-5\n.control")]
    [TestCase("reltol\nshell", "1")]
    [TestCase("shell", "x")]
    [TestCase("include", "x")]
    [TestCase("method", "trap gear")]
    public void When_A_Simulator_Option_Is_Not_A_Plain_Key_And_Value_Expect_An_Error(string key, string value) =>
        Assert.Throws<KirchhoffHwException>(() =>
            Write(Twomoon, SpiceOptions.Default with { SimulatorOptions = new Dictionary<string, string> { [key] = value } }));

    [Test]
    public void When_A_Simulator_Option_Is_Overridden_Expect_It_In_The_Options_Line()
    {
        var lines = Lines(Write(Twomoon, SpiceOptions.Default with { SimulatorOptions = new Dictionary<string, string> { ["reltol"] = "1e-5" } }));
        Assert.That(lines.Single(l => l.StartsWith(".options")), Does.Contain("reltol=1e-5").And.Not.Contain("reltol=1e-6"));
    }

    [Test]
    public void When_An_Input_Is_Not_Finite_Expect_An_Error() =>
        Assert.Throws<KirchhoffHwException>(() => Write(Twomoon, SpiceOptions.Default with { Input = [double.NaN, 0] }));

    private static readonly Regex Pwl = new(@"pwl\(([^,]+), ([^)]*)\)");

    /// <summary>The merged table of a node pair must equal the sum of its devices' exact currents everywhere, kinks and tails included.</summary>
    [Test]
    public void When_Relu_Devices_Share_A_Node_Pair_Expect_The_Merged_Table_To_Equal_Their_Summed_Currents()
    {
        var model = new ShiftRelu1();
        var rng = new Random(11);
        int n = 12;
        var src = new List<int>(); var dst = new List<int>(); var p0 = new List<double>(); var p1 = new List<double>();
        for (int i = 0; i < n; i++)
        {
            bool forward = rng.Next(2) == 0;
            src.Add(forward ? 1 : 2); dst.Add(forward ? 2 : 1);
            p0.Add(rng.NextDouble() - 0.5); p1.Add(rng.NextDouble() - 0.5);
        }
        var layer = new Layer(0, 1, model, new EdgeList(src.ToArray(), dst.ToArray()), [.. p0, .. p1]);
        var design = new Design("pair", 2, [layer], new InputMap(2), Readout.AllNodes);
        var line = Lines(Write(design, SpiceOptions.Default with { Style = DeckStyle.Merged })).Single(l => l.StartsWith("B1_2 "));
        var table = Pwl.Match(line).Groups[2].Value.Split(", ").Select(t => double.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        double Table(double x)
        {
            int k = 0;
            while (k < table.Length / 2 - 2 && x > table[2 * (k + 1)]) k++;
            double x0 = table[2 * k], y0 = table[2 * k + 1], x1 = table[2 * k + 2], y1 = table[2 * k + 3];
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
        }
        for (int i = 0; i < 500; i++)
        {
            double x = (rng.NextDouble() - 0.5) * 8; // v1 - v2, beyond the outermost kinks too
            double expected = 0;
            for (int e = 0; e < n; e++)
                expected += src[e] == 1 ? model.Current(x, 0, [p0[e], p1[e]]) : -model.Current(-x, 0, [p0[e], p1[e]]);
            Assert.That(Table(x), Is.EqualTo(expected).Within(1e-12), $"x = {x}");
        }
    }

    [Test]
    public void When_Writing_Mnist_Merged_Expect_One_Source_Per_Node_Pair()
    {
        var d = Load(Path.Combine(RepoPaths.Models, "mnist", "model.pth"));
        var counter = new StringWriter();
        var summary = new NgspiceEmitter().Write(d, SpiceOptions.Default, counter);
        var pairs = new HashSet<(int, int)>();
        foreach (var layer in d.Layers)
            for (int e = 0; e < layer.Edges.Count; e++)
                pairs.Add((Math.Min(layer.Edges.Source[e], layer.Edges.Destination[e]), Math.Max(layer.Edges.Source[e], layer.Edges.Destination[e])));
        Assert.That(summary.Style, Is.EqualTo(DeckStyle.Merged));
        Assert.That(summary.Elements, Is.EqualTo(pairs.Count));
        Assert.That(summary.Capacitors, Is.EqualTo(834));
    }
}
