using KirchhoffHw.Cells;
using KirchhoffHw.Generate;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;
using KirchhoffHw.Simulate.Ngspice;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Cells.Tests;

/// <summary>Transistor and macro fidelity co-simulated in ngspice against the ideal reference.</summary>
public class TransistorTests
{
    private static VerifyReport Verify(Design design, Fidelity fidelity, double[] input)
    {
        var range = OperatingRange.Of(design, [input]);
        var lowered = Lowering.Lower(design, fidelity, Shared.Library, range);
        // these tests measure the per-device OTA cells; the v2 deck has its own (RegulatedDeckTests)
        if (lowered.Netlist is RegulatedNetlist)
            lowered = lowered with { Netlist = new TransistorNetlist(Shared.Library, KirchhoffHw.Generate.Templating.TemplateSet.Default, range) };
        var options = VerifyOptions.Default with
        {
            Circuit = lowered.Circuit,
            Fidelity = lowered.Built,
            Supply = new Supply(Shared.Tech.Name, Shared.Tech.Vss, Shared.Tech.Vdd, Powers: true),
            Spice = lowered.Apply(SpiceOptions.Default with { MaxStepFraction = 0.02 }),
            Reference = SolverOptions.Dopri5(1e-9),
        };
        using var sim = new NgspiceShared();
        return new Verifier(design, options, sim).Run([input]);
    }

    [Test]
    public void When_SlowUnitsAtTransistorLevel_Expect_StaticCellErrorOnly()
    {
        // 1 nF / 1 us keeps the current scale of 1 pF / 1 ns (15 uA) but leaves the cells' own delays negligible:
        // what is left is the DC fit, the trimmed mirror mismatch and the output conductance
        var report = Verify(Designs.ThreeTanh(new Units(1e-9, 1e-6, 0.015)), Fidelity.Transistor, [1.5, -1.0]);
        var c = report.Cases[0];
        TestContext.Out.WriteLine($"output error {c.Errors!.Output:G3}, boundary {c.Errors.Boundary:G3}, swing {report.Range.MaxNodeVolts:G3} V");
        Assert.That(c.Circuit, Is.Not.Null, c.Message);
        Assert.That(c.Errors.Initial, Is.LessThan(1e-9), "the precharged state is the input");
        // 0.020 measured with the 100 nm / 10 uA unit cell (2026-12-01): its output conductance, not its speed
        Assert.That(c.Errors.Output, Is.LessThan(0.03));
        Assert.That(c.Errors.Output, Is.GreaterThan(1e-5), "a transistor circuit is not the ideal law");
    }

    [Test]
    public void When_DevicesNeedLessThanTheMinimumWidth_Expect_LongerChannelsAndADeckThatSimulates()
    {
        // tiny.yaml's conductances at 1 pF / 100 ns: the leaks need under a tenth of the unit cell, whose scaled widths
        // fell below the technology's minimum and made ngspice abort; they now keep W/L with longer channels.
        var design = KirchhoffHw.Import.DesignYaml.Load(Path.Combine(RepoPaths.Designs, "tiny.yaml")).With(units: new Units(1e-12, 1e-7, 0.28));
        double[] input = [1.0, -0.5, 0.5];
        var range = OperatingRange.Of(design, [input]);
        var layer = design.Layers[0];
        double narrowest = Enumerable.Range(0, layer.Edges.Count)
            .Min(e => Shared.Library.Size(layer.Model, layer.ParametersOf(e), design.Units, Lowering.DeviceRange(layer, e, layer.ParametersOf(e), range.For(0)))
                .Min(s => s.WidthScale * Math.Min(Shared.Tech.Cells.NmosWidth, Shared.Tech.Cells.PmosWidth)));
        Assert.That(narrowest, Is.LessThan(Shared.Tech.MinWidth), "the case this test is about: a device scaled below the minimum width");

        var report = Verify(design, Fidelity.Transistor, input);
        var c = report.Cases[0];
        Assert.That(c.Circuit, Is.Not.Null, c.Message);
        TestContext.Out.WriteLine($"output error {c.Errors!.Output:G3}");
        Assert.That(c.Errors.Output, Is.LessThan(0.1), "0.030 measured (2026-12-02): the longer channels keep the law near the fit");
    }

    [Test]
    public void When_NodesLeaveTheRails_Expect_VerifierFlagsIt()
    {
        // 0.5 V per model unit puts a 1.5-unit input at 0.75 V, beyond the 0.5 V rail
        var report = Verify(Designs.ThreeTanh(new Units(1e-9, 1e-6, 0.5)), Fidelity.Macro, [1.5, -1.0]);
        Assert.That(report.Summary.Failures, Has.Some.Contains("outside the supply rails"));
        Assert.That(report.Pass, Is.False);
    }

    [Test]
    public void When_MacroDeckSimulated_Expect_SameAsMacroLawInSoftware()
    {
        // 1 pF / 10 ns: every core's bias (1.5 uA per unit of amplitude) inside the v2 unit's range, so the macro law is
        // the trained one but for the cells' own error (at 1 ns the deck clamps them at 10 uA and the law with it)
        var design = Designs.ThreeTanh(new Units(1e-12, 1e-8, 0.015));
        double[] input = [1.5, -1.0];
        var report = Verify(design, Fidelity.Macro, input);
        var lowered = Lowering.Lower(design, Fidelity.Macro, Shared.Library, OperatingRange.Of(design, [input]));
        var soft = SoftwareComparison.Run(design, lowered.Circuit, "macro", [input], SolverOptions.Dopri5(1e-9));
        var deck = report.Cases[0].Circuit!.Output;
        Assert.That(Metrics.MaxAbsDiff(deck, soft.CircuitOutputs[0]), Is.LessThan(2e-3), "ngspice and the reference agree on the macro law");
        Assert.That(soft.MaxOutputError, Is.GreaterThan(1e-5).And.LessThan(0.05), "the macro law differs from the ideal by about the fit error");
    }
}
