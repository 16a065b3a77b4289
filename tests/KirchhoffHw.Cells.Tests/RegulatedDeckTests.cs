using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using KirchhoffHw.Cells;
using KirchhoffHw.Generate;
using KirchhoffHw.Generate.Dialects.Ngspice;
using KirchhoffHw.Import;
using KirchhoffHw.Model;

using KirchhoffHw.Reference;
using KirchhoffHw.Simulate;
using KirchhoffHw.Simulate.Ngspice;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Cells.Tests;

/// <summary>The v2 transistor decks (<see cref="RegulatedNetlist"/>): what they hold, and that they simulate through every phase edge.</summary>
public partial class RegulatedDeckTests
{
    private static string Fixture(string name) => Path.Combine(RepoPaths.Root, "tests", "KirchhoffHw.Cells.Tests", "fixtures", name);

    private static SpiceOptions Spice(Design design, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var lowered = new Lowered(Fidelity.Transistor, design, new RegulatedNetlist(Shared.Tech), null);
        return lowered.Apply(SpiceOptions.Default with { SimulatorOptions = overrides ?? new Dictionary<string, string>() });
    }

    private static VerifyReport Verify(Design design, double[][] inputs, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var options = VerifyOptions.Default with
        {
            Circuit = design,
            Fidelity = CircuitFidelity.Of(Fidelity.Transistor, Shared.Tech.Name, Shared.Tech.Corner),
            Supply = new Supply(Shared.Tech.Name, Shared.Tech.Vss, Shared.Tech.Vdd, Powers: true),
            Spice = Spice(design, overrides),
            Reference = SolverOptions.Dopri5(1e-9),
        };
        using var sim = new NgspiceShared();
        return new Verifier(design, options, sim).Run(inputs);
    }

    [Test]
    public void When_TwomoonTransistorDeckWritten_Expect_OnlyMosCapacitorsAndIndependentSources()
    {
        var design = ModelLoader.Load(RepoPaths.Model("twomoon", "model.pth")).Design.With(units: new Units(1e-12, 100e-9, 0.02));
        Assert.That(RegulatedNetlist.Builds(design), Is.True);
        var deck = new NgspiceEmitter().FormatDeck(design, Spice(design) with { Input = [0.3, -0.2] });
        // the first line of a deck is its title
        var elements = deck.Split('\n').Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] is not ('*' or '.' or '+')).ToList();
        var letters = elements.Select(l => char.ToUpperInvariant(l[0])).Distinct().Order().ToList();
        TestContext.Out.WriteLine($"{elements.Count} element lines; kinds {string.Join("", letters)}; {elements.Count(l => l[0] is 'M' or 'm')} MOS");
        Assert.That(elements.Where(l => "BEFGHR".Contains(char.ToUpperInvariant(l[0]))), Is.Empty, "no behavioural, controlled source or resistor");
        Assert.That(letters, Is.SubsetOf(new[] { 'M', 'C', 'V', 'I', 'X' }));
        Assert.That(elements.Count(l => l[0] is 'M' or 'm'), Is.GreaterThan(design.DeviceCount * 10), "every device is a transistor circuit");
    }

    [Test]
    public void When_TwomoonsCurrentsLeaveTheUnitsRange_Expect_LiftedWhenBelow_AndCountedAtTheLimitWhenAbove()
    {
        // 1 pF at 0.01715 V per unit: 100 ns asks 0.17 uA per unit of current, 1 us a tenth (below unit m1u's 0.1 uA
        // smallest bias), 1 ns a hundred times (above its 10 uA largest)
        var twomoon = ModelLoader.Load(RepoPaths.Model("twomoon", "model.pth")).Design;
        Design At(double timeUnit) => twomoon.With(units: new Units(1e-12, timeUnit, 0.01715));
        var netlist = new RegulatedNetlist(Shared.Tech);
        double boost100n = RegulatedNetlist.CapacitanceBoost(At(100e-9)), boost1u = RegulatedNetlist.CapacitanceBoost(At(1e-6));
        TestContext.Out.WriteLine($"boost at 100 ns {boost100n:G4}, at 1 us {boost1u:G4}");
        Assert.That(boost1u, Is.GreaterThan(boost100n / 10 * (1 + 1e-9)), "currents and capacitances lifted together at 1 us");
        var lifted = RegulatedNetlist.MapDevices(At(1e-6)).Where(d => d.Kind == "tanh").ToList();
        Assert.That(lifted.Min(d => d.Bias), Is.EqualTo(RegulatedFamily.Deck.MinBias).Within(1e-9 * RegulatedFamily.Deck.MinBias), "the smallest core at the unit's smallest bias");
        Assert.That(netlist.Count(At(1e-6)).DevicesAtLimit, Is.Zero);
        Assert.That(netlist.Count(At(100e-9)).DevicesAtLimit, Is.Zero);
        var fast = netlist.Count(At(1e-9));
        Assert.That(fast.DevicesAtLimit, Is.EqualTo(twomoon.DeviceCount));
        Assert.That(fast.FirstLimit, Does.StartWith("device 0_0: ").And.Contain("built at the limit"));
    }

    [Test]
    public void When_TransistorFidelityLowered_Expect_RegulatedCellsForTanhAndReluLayers()
    {
        var spiral = DesignYaml.Load(Path.Combine(RepoPaths.Designs, "spiral.yaml"));
        Assert.That(Lowering.Lower(spiral, Fidelity.Transistor, Shared.Library).Netlist, Is.TypeOf<RegulatedNetlist>());
        var conductances = Designs.Conductances(new Units(1e-12, 1e-9, 0.02), 1.0);
        Assert.That(Lowering.Lower(conductances, Fidelity.Transistor, Shared.Library).Netlist, Is.TypeOf<TransistorNetlist>(), "a linear law falls back to the per-device cells");
    }

    // spiral.yaml's currents (up to 1 model unit per device at 0.1 V per unit) sit inside the unit cell's range at 100 ns
    // and above it at 1 ns (clamped there); tanh4x4's at 0.02 V per unit sit in range at both
    [TestCase("spiral", 100e-9, 0.1, 0.5)]
    [TestCase("spiral", 1e-9, 0.1, double.NaN)]
    [TestCase("tanh4x4", 100e-9, 0.02, 1.0)]
    [TestCase("tanh4x4", 1e-9, 0.02, double.NaN)]
    public void When_MultiLayerTransistorDeckSimulated_Expect_EveryPhaseEdgePassed(string name, double timeUnit, double volts, double maxError)
    {
        var path = name == "spiral" ? Path.Combine(RepoPaths.Designs, "spiral.yaml") : Fixture(name + ".yaml");
        var design = DesignYaml.Load(path).With(units: new Units(1e-12, timeUnit, volts));
        double[] input = [.. new[] { 0.5, -0.4, 0.3, 0.2 }.Take(design.Input.Width)];
        var report = Verify(design, [input]);
        var c = report.Cases[0];
        Assert.That(c.Circuit, Is.Not.Null, c.Message);
        TestContext.Out.WriteLine($"{name} at {timeUnit:G3} s: reached t = {c.Circuit!.LastTime:G4} of {design.TEnd}, boundary error {c.Errors!.Boundary:G3}, {c.TimePoints} points");
        Assert.That(c.Circuit.LastTime, Is.EqualTo(design.TEnd).Within(1e-6), "simulated to the end, through every phase edge");
        Assert.That(c.Circuit.Boundaries, Has.Count.EqualTo(design.Layers.Count));
        if (!double.IsNaN(maxError)) Assert.That(c.Errors.Boundary, Is.LessThan(maxError), "the deck computes the network (coarsely: the v2 cells' static error)");

        // the rails' power, measured in the same run: every layer draws (its cores, the drivers and output stages), and
        // the layers' mean powers over their spans add up to the energy over [0, T]
        var draw = c.Supply;
        Assert.That(draw, Is.Not.Null, "a transistor deck's rails are measured");
        TestContext.Out.WriteLine($"supply: {draw!.EnergyJoules:G4} J per inference, layers {string.Join(", ", draw.LayerPowerWatts.Select(p => p.ToString("G4")))} W");
        Assert.That(draw.LayerPowerWatts, Has.Length.EqualTo(design.Layers.Count));
        Assert.That(draw.LayerPowerWatts, Is.All.GreaterThan(0));
        double sum = design.Layers.Select((l, i) => draw.LayerPowerWatts[i] * l.Duration * timeUnit).Sum();
        Assert.That(draw.EnergyJoules, Is.EqualTo(sum).Within(1e-9 * sum));
        Assert.That(report.Supply!.EnergyJoules, Is.EqualTo(draw.EnergyJoules), "one case: the summary is that case");
        var verdict = Path.Combine(Path.GetTempPath(), $"kh-supply-{Guid.NewGuid():N}.json");
        try
        {
            VerdictJson.Save(verdict, report);
            var back = VerdictJson.Load(verdict).Cases[0].Supply;
            Assert.That(back!.EnergyJoules, Is.EqualTo(draw.EnergyJoules));
            Assert.That(back.LayerPowerWatts, Is.EqualTo(draw.LayerPowerWatts));
        }
        finally { File.Delete(verdict); }
    }

    /// <summary>States (model units) the static bench holds, spanning twomoon's first-layer swing (|v| up to 5 units).</summary>
    private static readonly double[][] HeldStates = [[0, 0], [2.5, -2.5], [-5, 2.5], [5, 5], [-2.5, -5], [5, -5]];

    /// <summary>How long (s) each held state lasts: hundreds of the cells' settling times at the fixture's biases.</summary>
    private const double HoldSlot = 2e-6;

    [Test]
    public void When_SmallV2DeckHeldAtFixedNodeVoltages_Expect_NodeCurrentsFollowTheDeviceLaw()
    {
        // the emitted deck, unchanged but for its node capacitors (sources holding each state in turn): each node's
        // source carries what every device's cell puts into it, so this is the deck's static law, device by device
        var design = DesignYaml.Load(Fixture("tanh2x10.yaml")).With(units: new Units(1e-12, 100e-9, 0.02));
        var deck = new NgspiceEmitter().FormatDeck(design, Spice(design) with { Input = [0, 0] });
        var vectors = Enumerable.Range(1, design.NodeCount).Select(k => $"i(vhold{k})").ToList();
        using var sim = new NgspiceShared();
        var result = sim.Run(new SimulationRequest(DeckBench.HeldStates(deck, design.NodeCount, HeldStates.Select(x => x.Select(v => v * design.Units.VoltageScale).ToArray()).ToArray(), HoldSlot), vectors, TimeSpan.FromMinutes(10)));
        Assert.That(result.Status, Is.EqualTo(SimulationStatus.Ok), result.Message + "\n" + result.Log[^Math.Min(result.Log.Length, 3000)..]);

        double worst = 0, scale = 0;
        for (int h = 0; h < HeldStates.Length; h++)
        {
            int at = Array.FindLastIndex(result.Time, t => t <= (h + 1) * HoldSlot * (1 + 1e-12));
            var want = RightHandSide(design.Layers[0], design.NodeCount, HeldStates[h]);
            for (int k = 0; k < design.NodeCount; k++)
            {
                double got = result.Vectors[$"i(vhold{k + 1})"][at] / design.Units.CurrentScale;
                TestContext.Out.WriteLine($"state ({string.Join(", ", HeldStates[h])}), node {k + 1}: law {want[k]:F4}, deck {got:F4}, error {got - want[k]:+0.0000;-0.0000}");
                worst = Math.Max(worst, Math.Abs(got - want[k]));
                scale = Math.Max(scale, Math.Abs(want[k]));
            }
        }
        TestContext.Out.WriteLine($"largest node current {scale:G4} model units, worst error {worst:G3}");
        Assert.That(scale, Is.GreaterThan(1), "the states drive the devices well into their tanh");
        // ten devices of amplitude 1: 0.04 is 0.4 % of their summed amplitude per node. Cells whose widths scale by k
        // without BSIM's width offset leave 0.088 here (the output stages' pin balance and the drivers' standing lines move with k)
        Assert.That(worst, Is.LessThan(0.04), "the v2 deck computes the devices' law at every held state");
    }

    /// <summary>dv/dt of every node at <paramref name="state"/> (model units), from the model's own law.</summary>
    private static double[] RightHandSide(Layer layer, int nodes, double[] state)
    {
        var f = new double[nodes + 1];
        for (int e = 0; e < layer.Edges.Count; e++)
        {
            int s = layer.Edges.Source[e], d = layer.Edges.Destination[e];
            double current = layer.Model.Current(s == 0 ? 0 : state[s - 1], d == 0 ? 0 : state[d - 1], layer.ParametersOf(e));
            f[s] -= current;
            f[d] += current;
        }
        return f[1..];
    }

    [Test]
    public void When_DriversOutweighTheNodeCapacitance_Expect_NodesPastTenthOfAVoltMoveAtTheLawsRate()
    {
        // 10 saturated devices per node at 1 pF / 100 ns, 20 mV per unit: each moves its node by 10 units (0.2 V) per
        // time unit. Their steep weights (150 per volt) make each node's driver about 1.6 pF of input capacitance, so a
        // deck that left the nodes at the cells' own capacitance would move them at ~0.6 of the law's rate
        var design = Designs.Drift(new Units(1e-12, 100e-9, 0.02), 10);
        double boost = RegulatedNetlist.CapacitanceBoost(design);
        double[] input = [4, -4];
        var report = Verify(design, [input]);
        var c = report.Cases[0];
        Assert.That(c.Circuit, Is.Not.Null, c.Message);
        var end = c.Circuit!.Boundaries[^1].State;
        var reference = ReferenceEnd(design, input);
        for (int k = 0; k < 2; k++)
        {
            double moved = end[k] - input[k], want = reference[k] - input[k];
            TestContext.Out.WriteLine($"node {k + 1}: {input[k]} -> deck {end[k]:F3} ({end[k] * 0.02:F3} V), law {reference[k]:F3}; moved {moved / want:P1} of the law's travel (boost {boost:F3})");
            Assert.That(Math.Abs(end[k]) * design.Units.VoltageScale, Is.GreaterThan(0.15), "the node ends well past 0.1 V");
            Assert.That(moved / want, Is.EqualTo(1).Within(0.05), "the node charges at the law's rate: its capacitance and the cells' currents as the design's units say");
        }
        Assert.That(boost, Is.GreaterThan(1.2), "the drivers' capacitance exceeds the design's node capacitance, so the deck scales its currents");
    }

    /// <summary>The software reference's state at the end of the last layer.</summary>
    private static double[] ReferenceEnd(Design design, double[] input) =>
        ReferenceSolver.Solve(design, [input], SolverOptions.Dopri5(1e-9)).Cases[0].Boundaries[^1].State;

    [Test]
    public void When_SimulationForcedToFail_Expect_VerdictNamesNodeAndCellAndRunGoesOn()
    {
        var design = Designs.ThreeTanh(new Units(1e-12, 100e-9, 0.02));
        // tolerances no circuit meets: the operating point fails after gmin and source stepping
        var impossible = new Dictionary<string, string> { ["itl4"] = "3", ["reltol"] = "1e-14", ["abstol"] = "1e-30", ["vntol"] = "1e-20" };
        var report = Verify(design, [[0.5, -0.4], [0.1, 0.2]], impossible);
        Assert.That(report.Cases, Has.Count.EqualTo(2), "every case has a verdict");
        foreach (var c in report.Cases)
        {
            TestContext.Out.WriteLine(c.Message);
            Assert.That(c.Pass, Is.False);
            Assert.That(c.Message, Does.Contain("node"));
            Assert.That(c.Message, Does.Match("device|output stage|driver|node n|phase line|supply"), "the failing net is traced to its cell");
        }
    }

    [Test]
    public void When_FailingNetLocated_Expect_ItsCellNamed()
    {
        var n = new RegulatedNetlist(Shared.Tech);
        Assert.That(n.Locate("Timestep too small; trouble with node \"xos1_3.zfa\""), Does.Contain("output stage of n1 -> n3"));
        Assert.That(n.Locate("trouble with node \"sa_2_14\""), Does.Contain("device 14 of layer 2"));
        Assert.That(n.Locate("trouble with node \"xdrv0.ap\""), Does.Contain("driver of node 0"));
        Assert.That(n.Locate("trouble with node \"n2\""), Does.Contain("node n2"));
        Assert.That(n.Locate("trouble with node \"vphb0#branch\""), Does.Contain("phase line of layer 0"));
        Assert.That(n.Locate("no node here"), Is.Null);
    }

    [Test]
    public void When_BiasesFromNanoampsToTheMaximum_Expect_EveryOneBuildable()
    {
        // one unit per two decades: every bias the technology allows is some unit's k in [0.1, 10]
        for (double bias = Shared.Tech.MinBiasCurrent; bias <= Shared.Tech.MaxBiasCurrent * 1.0001; bias *= Math.Pow(10, 0.125))
        {
            var unit = RegulatedFamily.UnitFor(bias);
            Assert.That(unit, Is.Not.Null, $"{bias:G3} A");
            Assert.That(RegulatedFamily.Problem(bias, Shared.Tech), Is.Null, $"{bias:G3} A in unit {unit!.Name}");
        }
        Assert.That(RegulatedFamily.Problem(Shared.Tech.MinBiasCurrent / 2, Shared.Tech), Does.Contain("below"));
        Assert.That(RegulatedFamily.Problem(Shared.Tech.MaxBiasCurrent * 2, Shared.Tech), Does.Contain("above"));
        Assert.That(RegulatedFamily.UnitFor(3e-9)!.Inversion, Is.EqualTo("weak"));
        Assert.That(RegulatedFamily.UnitFor(3e-9)!.Core.TailLength, Is.GreaterThan(RegulatedFamily.UnitFor(300e-6)!.Core.TailLength), "longer channels at low current");
    }
}
