using KirchhoffHw.Cells;
using KirchhoffHw.Generate;
using KirchhoffHw.Generate.Dialects.Ngspice;
using KirchhoffHw.Import;
using KirchhoffHw.Model;

using KirchhoffHw.Reference;
using KirchhoffHw.Simulate.Ngspice;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Cells.Tests;

/// <summary>The v2 transistor decks (<see cref="RegulatedNetlist"/>): what they hold, and that they simulate through every phase edge.</summary>
public class RegulatedDeckTests
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
    }

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
