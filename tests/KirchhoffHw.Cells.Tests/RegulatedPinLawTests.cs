using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using KirchhoffHw.Cells;
using KirchhoffHw.Generate;
using KirchhoffHw.Generate.Dialects.Ngspice;
using KirchhoffHw.Import;
using KirchhoffHw.Model;
using KirchhoffHw.Simulate;
using KirchhoffHw.Simulate.Ngspice;

namespace KirchhoffHw.Cells.Tests;

/// <summary>The v2 cells' pin law (<see cref="RegulatedPinLaw"/>): measured from their bench, it predicts the v2 deck at DC.</summary>
public partial class RegulatedPinLawTests
{
    private static RegulatedPinLaw Law => Shared.Library.Regulated;

    private static string Fixture(string name) => Path.Combine(RepoPaths.Root, "tests", "KirchhoffHw.Cells.Tests", "fixtures", name);

    [Test]
    public void When_V2BenchRead_Expect_DriverCurveAndCoreAsDesigned()
    {
        var law = Law;
        var d = law.Data;
        TestContext.Out.WriteLine($"bench {d.Seconds:F1} s (cached: {d.FromCache}); line slope {law.Slope:G4} A/V, lines at 0 V {d.LinePlus[d.Volts.Length / 2]:G4} / {d.LineMinus[d.Volts.Length / 2]:G4} A, node 0's (pMOS) {d.ReferencePlus:G4} / {d.ReferenceMinus:G4}, nMOS {d.ReferenceNmos:G4}");
        foreach (double v in new[] { -0.45, -0.35, -0.2, -0.1, 0, 0.1, 0.2, 0.35, 0.45 })
            TestContext.Out.WriteLine($"L({v:+0.00;-0.00}) = {law.Drive.Evaluate(v):+0.00000;-0.00000} V");
        foreach (var (name, pins) in new[] { ("tanh", law.Tanh), ("relu", law.Relu) })
        {
            int centre = Array.IndexOf(d.OutputVolts, 0.0);
            var y = pins.To.Y;
            TestContext.Out.WriteLine($"{name}: y over {y[0]:G4} .. {y[^1]:G4}, table error {pins.InterpolationError:G3}");
            foreach (double u in new[] { -3, -1, -0.5, 0, 0.5, 1, 3 })
                TestContext.Out.WriteLine($"  y {u,5}: to {pins.To.Evaluate(u, 0):+0.00000;-0.00000} from {pins.From.Evaluate(u, 0):+0.00000;-0.00000}"
                    + $"  to at +-0.3 V {pins.To.Evaluate(u, -0.3):+0.00000;-0.00000} / {pins.To.Evaluate(u, 0.3):+0.00000;-0.00000}");
        }
        // the drive is the node voltage to first order (the lines are linear over most of the swing)
        Assert.That(law.Drive.Evaluate(0.2), Is.EqualTo(0.2).Within(0.02));
        Assert.That(law.Drive.Evaluate(-0.2), Is.EqualTo(-0.2).Within(0.02));
        // the tanh core saturates at its amplitude, odd; the rectifier passes positive inputs only
        Assert.That(law.Tanh.To.Evaluate(4, 0), Is.EqualTo(RegulatedFamily.Characterized.Amplitude).Within(0.05));
        Assert.That(law.Tanh.To.Evaluate(-4, 0), Is.EqualTo(-RegulatedFamily.Characterized.Amplitude).Within(0.05));
        Assert.That(law.Tanh.To.Evaluate(1, 0), Is.EqualTo(Math.Tanh(1)).Within(0.05));
        Assert.That(law.Relu.To.Evaluate(2, 0), Is.EqualTo(2).Within(0.1));
        // off, the rectifier leaves the output stage with no input current: what it then puts into both pins is measured
        // and carried by the law, but must stay a small share of the bias
        Assert.That(Math.Abs(law.Relu.To.Evaluate(-2, 0)), Is.LessThan(0.05));
        Assert.That(law.Tanh.InterpolationError, Is.LessThan(2e-3));
    }

    /// <summary>Held node voltages (V): a grid over +-0.35 V, the v2 output stages' swing.</summary>
    private static double[][] HeldVolts(int nodes)
    {
        double[] levels = [-0.35, -0.15, 0, 0.2, 0.35];
        if (nodes == 2) return [.. levels.SelectMany(a => levels.Where((_, i) => i % 2 == 0 || a == 0).Select(b => new[] { a, b }))];
        var random = new Random(11);
        return [.. Enumerable.Range(0, 10).Select(_ => Enumerable.Range(0, nodes).Select(_ => levels[random.Next(levels.Length)]).ToArray())];
    }

    private const double HoldSlot = 4e-6;

    /// <summary>
    /// The emitted transistor deck with each node capacitor replaced by a source stepping through the held states: each
    /// source carries what every cell puts into its node (ngspice's transient, each state held hundreds of settling times).
    /// </summary>
    private static SimulationResult Held(Design design, double[][] volts)
    {
        var lowered = new Lowered(Fidelity.Transistor, design, new RegulatedNetlist(Shared.Tech), null);
        var spice = lowered.Apply(SpiceOptions.Default) with { Input = new double[design.Input.Width] };
        var deck = new NgspiceEmitter().FormatDeck(design, spice);
        var held = DeckBench.HeldStates(deck, design.NodeCount, volts, HoldSlot);
        using var sim = new NgspiceShared();
        var result = sim.Run(new SimulationRequest(held, Enumerable.Range(1, design.NodeCount).Select(k => $"i(vhold{k})").ToList(), TimeSpan.FromMinutes(10)));
        Assert.That(result.Status, Is.EqualTo(SimulationStatus.Ok), result.Message);
        return result;
    }

    /// <summary>Each node's net current (model units) under a layer's law at node voltages x (model units): pin by pin for a pin-level law.</summary>
    private static double[] NodeCurrents(Layer layer, int nodes, double[] x)
    {
        var f = new double[nodes + 1];
        for (int e = 0; e < layer.Edges.Count; e++)
        {
            int s = layer.Edges.Source[e], d = layer.Edges.Destination[e];
            double vs = s == 0 ? 0 : x[s - 1], vd = d == 0 ? 0 : x[d - 1];
            var (o, i) = layer.Model.IsPinLevel ? layer.Model.PinCurrents(vs, vd, layer.ParametersOf(e)) : (layer.Model.Current(vs, vd, layer.ParametersOf(e)), layer.Model.Current(vs, vd, layer.ParametersOf(e)));
            f[s] -= o;
            f[d] += i;
        }
        return f[1..];
    }

    private static IEnumerable<TestCaseData> DcCases()
    {
        // the 10-device fixture at twomoon's units (0.02 V per unit), and spiral's three layers one at a time (0.1 V per unit)
        yield return new TestCaseData("tanh2x10", 0, 0.02).SetName("DC tanh2x10");
        yield return new TestCaseData("spiral", 0, 0.1).SetName("DC spiral layer 0 (ShiftTanh2)");
        yield return new TestCaseData("spiral", 2, 0.1).SetName("DC spiral layer 2 (ShiftLeakyRelu1)");
    }

    [Test]
    public void When_V2LawLowered_Expect_TheCellsSettlingAsALagWhereTheFirstOrderHolds()
    {
        // the lag is the measured settling (driver and output stage to 1 %, as first-order stages in a chain), in the
        // design's time units; beyond a tenth of the shortest layer the law settles at once and says so
        var f = RegulatedFamily.Characterized;
        Assert.That(f.SettlingLag, Is.EqualTo((f.DriverSettle!.Value + f.OutputStageSettle!.Value) / Math.Log(100)).Within(1e-18));
        var spiral = DesignYaml.Load(Path.Combine(RepoPaths.Designs, "spiral.yaml"));
        double shortest = spiral.Layers.Min(l => l.Duration);
        foreach (double timeUnit in new[] { 1e-6, 1e-8 })
        {
            var design = spiral.With(units: new Units(1e-12, timeUnit, 0.1));
            var pins = Lowering.PinMacro(design, Shared.Library, OperatingRange.Uniform(design, 1.0));
            var (lag, note) = RegulatedFamily.LagIn(design);
            double expected = f.SettlingLag / timeUnit <= RegulatedFamily.MaxLagShare * shortest ? f.SettlingLag / timeUnit : 0;
            Assert.That(lag, Is.EqualTo(expected), note);
            Assert.That(pins.Layers.Select(l => l.Model.InputLag), Is.All.EqualTo(expected), $"every layer's cells at {timeUnit:G3} s per unit");
            Assert.That(note, Does.Contain(expected > 0 ? "that late" : "settling at once"));
        }
        Assert.That(RegulatedFamily.LagIn(spiral.With(units: new Units(1e-12, 1e-6, 0.1))).Lag, Is.GreaterThan(0), "1 us: within the first-order model");
        Assert.That(RegulatedFamily.LagIn(spiral.With(units: new Units(1e-12, 1e-8, 0.1))).Lag, Is.Zero, "10 ns: beyond it");
    }

    [TestCaseSource(nameof(DcCases))]
    public void When_V2DeckHeldAtNodeVoltages_Expect_PinLawPredictsItsNodeCurrents(string name, int layerIndex, double volts)
    {
        var path = name == "spiral" ? Path.Combine(RepoPaths.Designs, "spiral.yaml") : Fixture(name + ".yaml");
        var full = DesignYaml.Load(path).With(units: new Units(1e-12, 100e-9, volts));
        var l = full.Layers[layerIndex];
        var design = full.With(layers: [new Layer(0, 0.5, l.Model, l.Edges, l.Theta)]);
        var pins = Lowering.PinMacro(design, Shared.Library, OperatingRange.Uniform(design, 1.0));
        Assert.That(pins.Layers[0].Model, Is.TypeOf<PinMacroModel>());
        Assert.That(((PinMacroModel)pins.Layers[0].Model).Input, Is.Not.Null, "the v2 law reads the drivers' curve");
        var states = HeldVolts(design.NodeCount);
        var result = Held(design, states);
        double boost = RegulatedNetlist.CapacitanceBoost(design), iscale = design.Units.CurrentScale * boost;
        // what a node's cells carry: the largest sum over its devices of |device current| over the held states (model
        // units), the scale of the bias its output stages work at (a ReLU's current is not bounded by its amplitude)
        var load = new double[design.NodeCount + 1];
        foreach (var state in states)
        {
            var x = state.Select(v => v / volts).ToArray();
            var sum = new double[design.NodeCount + 1];
            for (int e = 0; e < l.Edges.Count; e++)
            {
                int s = l.Edges.Source[e], d = l.Edges.Destination[e];
                double current = Math.Abs(l.Model.Current(s == 0 ? 0 : x[s - 1], d == 0 ? 0 : x[d - 1], l.ParametersOf(e)));
                sum[s] += current; sum[d] += current;
            }
            for (int k = 0; k <= design.NodeCount; k++) load[k] = Math.Max(load[k], sum[k]);
        }
        double worstLaw = 0, worstIdeal = 0, worstRelative = 0, scale = 0;
        for (int h = 0; h < states.Length; h++)
        {
            int at = Array.FindLastIndex(result.Time, t => t <= (h + 1) * HoldSlot * (1 + 1e-12));
            var x = states[h].Select(v => v / volts).ToArray();
            var law = NodeCurrents(pins.Layers[0], design.NodeCount, x);
            var ideal = NodeCurrents(design.Layers[0], design.NodeCount, x);
            for (int k = 0; k < design.NodeCount; k++)
            {
                double deck = result.Vectors[$"i(vhold{k + 1})"][at] / iscale;
                TestContext.Out.WriteLine($"({string.Join(", ", states[h].Select(v => v.ToString("+0.00;-0.00", CultureInfo.InvariantCulture)))}) V, node {k + 1}: deck {deck:+0.00000;-0.00000}, v2 law {law[k]:+0.00000;-0.00000} ({law[k] - deck:+0.00000;-0.00000}), ideal {ideal[k]:+0.00000;-0.00000} ({ideal[k] - deck:+0.00000;-0.00000})");
                worstLaw = Math.Max(worstLaw, Math.Abs(law[k] - deck));
                worstIdeal = Math.Max(worstIdeal, Math.Abs(ideal[k] - deck));
                worstRelative = Math.Max(worstRelative, Math.Abs(law[k] - deck) / load[k + 1]);
                scale = Math.Max(scale, Math.Abs(deck));
            }
        }
        TestContext.Out.WriteLine($"{name} layer {layerIndex}: largest node current {scale:G4}; worst |law - deck| {worstLaw:G3} ({100 * worstRelative:G3} % of the node's largest summed device current), ideal law {worstIdeal:G3}");
        Assert.That(scale, Is.GreaterThan(0.3), "the states drive the devices");
        Assert.That(worstRelative, Is.LessThan(0.01), "within 1 % of what the node's cells carry");
    }

    /// <summary>spiral's three layers and the fixture as v2 pin laws (each layer its own design).</summary>
    private static IEnumerable<Layer> LoweredLayers()
    {
        var spiral = DesignYaml.Load(Path.Combine(RepoPaths.Designs, "spiral.yaml")).With(units: new Units(1e-12, 100e-9, 0.1));
        foreach (var design in new[] { spiral, DesignYaml.Load(Fixture("tanh2x10.yaml")).With(units: new Units(1e-12, 100e-9, 0.02)) })
            foreach (var layer in Lowering.PinMacro(design, Shared.Library, OperatingRange.Uniform(design, 1.0)).Layers)
                yield return layer;
    }

    [Test]
    public void When_V2PinGradientsTaken_Expect_CentralDifferences()
    {
        var random = new Random(7);
        int checks = 0;
        foreach (var layer in LoweredLayers())
        {
            var m = (PinMacroModel)layer.Model;
            double span = 0.4 / m.VoltageScale; // the node swing in model units
            for (int e = 0; e < layer.Edges.Count; e++)
            {
                var p = layer.ParametersOf(e);
                for (int trial = 0; trial < 8; trial++)
                {
                    double vs = span * (2 * random.NextDouble() - 1), vd = span * (2 * random.NextDouble() - 1);
                    // an orientation is 0 or 1: no derivative to check
                    bool Orientation(int k) => k == PinMacroModel.Reversed(0) || (p.Length > 6 && k == PinMacroModel.Reversed(1));
                    var (g, o, i) = PinMacroTests.CheckPinGradients(m, vs, vd, p, Check, Orientation);
                    checks += 2 * Enumerable.Range(0, p.Length).Count(k => !Orientation(k));
                    // the batched kernels are the scalar law
                    var outs = new double[1]; var ins = new double[1];
                    m.PinCurrents([vs], [vd], p, outs, ins);
                    var (so, si) = m.PinCurrents(vs, vd, p);
                    Assert.That(outs[0], Is.EqualTo(so).Within(1e-12 * Math.Max(1, Math.Abs(so))));
                    Assert.That(ins[0], Is.EqualTo(si).Within(1e-12 * Math.Max(1, Math.Abs(si))));
                    double wo = random.NextDouble() - 0.5, wi = random.NextDouble() - 0.5;
                    var gvs = new double[1]; var gvd = new double[1]; var gp = new double[p.Length];
                    m.PinAdjoint([vs], [vd], p, [wo], [wi], gvs, gvd, gp);
                    Assert.That(gvs[0], Is.EqualTo(wo * g.SrcDVs + wi * g.DstDVs).Within(1e-10 * (1 + Math.Abs(gvs[0]))));
                    Assert.That(gvd[0], Is.EqualTo(wo * g.SrcDVd + wi * g.DstDVd).Within(1e-10 * (1 + Math.Abs(gvd[0]))));
                    for (int k = 0; k < p.Length; k++)
                        Assert.That(gp[k], Is.EqualTo(wo * o[k] + wi * i[k]).Within(1e-10 * (1 + Math.Abs(gp[k]))), $"adjoint d/d{m.ParameterNames[k]}");
                    // and the node-shared kernels the reference runs are the batched ones
                    if (trial == 0) NodeTermsCheck.Compare(m, vs, vd, p, random);
                }
            }
        }
        TestContext.Out.WriteLine($"{checks} parameter derivatives checked");

        static void Check(double analytic, Func<double, double> f, double x, string what)
        {
            // piecewise cubic interpolants: a small central step's truncation error is ~h^2 of the third derivative
            double h = 1e-6 * Math.Max(1, Math.Abs(x));
            double fd = (f(x + h) - f(x - h)) / (2 * h);
            Assert.That(analytic, Is.EqualTo(fd).Within(1e-5 * Math.Max(Math.Abs(fd), 1e-3)), what);
        }
    }
}
