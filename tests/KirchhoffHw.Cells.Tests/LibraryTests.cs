using System.Text.Json;
using KirchhoffHw.Cells;
using KirchhoffHw.Generate;
using KirchhoffHw.Generate.Dialects.Ngspice;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Cells.Tests;

public class LibraryTests
{
    private static readonly Units Units = new(1e-12, 1e-9, 0.015);

    [Test]
    public void When_TransistorDeckWritten_Expect_TransistorsPerCellAsTheLibraryCounts()
    {
        var design = Designs.ThreeTanh(Units);
        // the per-device cells (tanh layers get the v2 deck by default: RegulatedDeckTests)
        var lowered = Lowering.Lower(design, Fidelity.Transistor, Shared.Library) with
        {
            Netlist = new TransistorNetlist(Shared.Library, KirchhoffHw.Generate.Templating.TemplateSet.Default, OperatingRange.Uniform(design, 1.0)),
        };
        var deck = new NgspiceEmitter().FormatDeck(design, lowered.Apply(SpiceOptions.Default with { Input = [1.0, -0.5] }));
        foreach (var t in CellTopologies.All)
        {
            var name = t.CellName;
            var body = deck[deck.IndexOf($".subckt {name} ")..deck.IndexOf($".ends {name}")];
            var mos = body.Split('\n').Where(l => l.StartsWith('M')).ToList();
            Assert.That(mos, Has.Count.EqualTo(t.Transistors), name);
            Assert.That(mos.Count(l => l.Contains(Shared.Tech.Models.Pmos)), Is.EqualTo(t.Pmos), name + " pMOS");
        }
        Assert.That(deck.Split('\n').Count(l => l.StartsWith("X0_")), Is.EqualTo(3), "one cell per device");
        Assert.That(deck.Split('\n').Count(l => l.StartsWith("Mpn") || l.StartsWith("Mpp")), Is.EqualTo(2 * CellKind.TransistorsPerPrechargeSwitch), "a precharge switch per node");
        Assert.That(deck, Does.Contain("transistor fidelity"));
        Assert.That(deck, Does.Contain(".include \"" + Shared.Tech.Models.Path + "\""));
    }

    [Test]
    public void When_ParameterBeyondTechLimits_Expect_ReportedPerDeviceAndBuiltAtTheLimit()
    {
        // 1e6 needs amperes, 1e-7 needs far less than the smallest cell; 0.5 is ordinary
        var design = Designs.Conductances(Units, 1e6, 1e-7, 0.5);
        var range = OperatingRange.Uniform(design, 1.0);
        var mapping = new PhysicalMapping(design, Shared.Library, range);
        var rows = mapping.Rows().ToList();
        Assert.That(rows[0].Sizes[0].Problem, Does.Contain("above what the technology allows"));
        Assert.That(rows[1].Sizes[0].Problem, Does.Contain("below what the technology allows"));
        Assert.That(rows[2].Sizes[0].Problem, Is.Null);
        Assert.That(rows[0].Sizes[0].BiasCurrent, Is.EqualTo(Shared.Tech.MaxBiasCurrent).Within(1e-12));
        Assert.That(rows[0].Sizes[0].RequiredBias, Is.GreaterThan(Shared.Tech.MaxBiasCurrent));
        Assert.That(mapping.Layers[0].Unrealizable, Is.EqualTo(2));
        // the macro law carries the clamp: the strong device is far weaker than trained, not silently exact
        var macro = Lowering.Macro(design, Shared.Library, range);
        double built = macro.Layers[0].Model.Current(0.5, 0, macro.Layers[0].ParametersOf(0));
        Assert.That(built, Is.LessThan(0.01 * 1e6 * 0.5));

        var dir = Path.Combine(Path.GetTempPath(), "kh-map-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (csv, json) = mapping.Write(Path.Combine(dir, "m"));
            var lines = File.ReadAllLines(csv);
            Assert.That(lines, Has.Length.EqualTo(4));
            Assert.That(lines[1], Does.Contain("above what the technology allows"));
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var devices = doc.RootElement.GetProperty("devices");
            Assert.That(devices.GetArrayLength(), Is.EqualTo(3));
            Assert.That(devices[2].GetProperty("parts")[0].GetProperty("problem").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(devices[0].GetProperty("fit_max_a").GetDouble(), Is.GreaterThan(0));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Test]
    public void When_SignsDiffer_Expect_NegativeSlopesFlaggedActiveAndCellsReversed()
    {
        var design = Designs.Conductances(Units, 0.5, -0.5);
        var rows = new PhysicalMapping(design, Shared.Library, OperatingRange.Uniform(design, 1.0)).Rows().ToList();
        Assert.That((rows[0].Active, rows[1].Active), Is.EqualTo((false, true)));
        Assert.That((rows[0].Reversed, rows[1].Reversed), Is.EqualTo((false, true)));
        Assert.That(CellKind.NeedsActiveCell(new ShiftRelu1(), [0.0, -0.2]), Is.True);
        Assert.That(CellKind.NeedsActiveCell(new ShiftRelu1(), [0.1, 0.2]), Is.False);
        // both realize their own sign
        var macro = Lowering.Macro(design, Shared.Library, OperatingRange.Uniform(design, 1.0));
        var m = macro.Layers[0].Model;
        Assert.That(m.Current(0.4, 0, macro.Layers[0].ParametersOf(0)), Is.EqualTo(0.2).Within(0.01));
        Assert.That(m.Current(0.4, 0, macro.Layers[0].ParametersOf(1)), Is.EqualTo(-0.2).Within(0.01));
    }

    [Test]
    public void When_BiasAsked_Expect_SupplyFactorTimesTailCurrents()
    {
        var model = new ShiftTanh2();
        double[] p = [0.3, -0.2, 0.1];
        var sizes = Shared.Library.Size(model, p, Units, 1.0);
        Assert.That(Shared.Library.BiasCurrent(model, p, Units, 1.0), Is.EqualTo(CellTopologies.Ota.SupplyFactor * sizes[0].BiasCurrent).Within(1e-15));
        // a tanh cell's tail is the model's unit current times the fitted scale (the pair saturates below its tail)
        var fit = Shared.Library.FitOf(CellKind.For(model).Parts[0]);
        Assert.That(sizes[0].BiasCurrent / Units.CurrentScale, Is.EqualTo(fit.Scale).Within(1e-9));
        Assert.That(fit.Scale, Is.InRange(1.0, 2.5));
        var leaky = CellKind.For(new ShiftLeakyRelu1());
        Assert.That(leaky.TransistorCount, Is.EqualTo(CellTopologies.Rectifier.Transistors + CellTopologies.Ota.Transistors));
        Assert.That(leaky.PhaseSwitchesPerDevice, Is.EqualTo(2));
    }

    [Test]
    public void When_MacroLawEvaluated_Expect_TrainedLawWithinTheFitErrorOverTheRange()
    {
        var model = new ShiftTanh2();
        double[] p = [0.6, -0.4, 0.1];
        var design = Designs.Build(Units, model, [(1, 2)], p);
        var macro = Lowering.Macro(design, Shared.Library, OperatingRange.Uniform(design, 2.0));
        var fit = Shared.Library.FitOf(CellKind.For(model).Parts[0]);
        var mp = macro.Layers[0].ParametersOf(0);
        for (double vs = -2; vs <= 2; vs += 0.25)
            for (double vd = -2; vd <= 2; vd += 0.25)
            {
                double want = model.Current(vs, vd, p), got = macro.Layers[0].Model.Current(vs, vd, mp);
                // the tail is the fitted scale exactly (no clamping here), so the law's error is the fit's
                Assert.That(Math.Abs(got - want), Is.LessThanOrEqualTo(DocumentedFits.Max(fit) + 2e-3), $"vs {vs} vd {vd}");
                // the deck's tables are linear between the grid points the reference's cubic passes through
                Assert.That(macro.Layers[0].Model.Law.Evaluate(vs, vd, mp), Is.EqualTo(got).Within(2e-3 * fit.Scale), "the deck's law is the reference's");
            }
    }

    [Test]
    public void When_ReluMacroEvaluated_Expect_TrainedLawWithinTheScaledFitErrorBothSigns()
    {
        var model = new ShiftRelu1();
        foreach (var p in new[] { new[] { 0.3, 0.8 }, new[] { -0.2, -0.5 } })
        {
            var design = Designs.Build(Units, model, [(1, 2)], p);
            var ranges = OperatingRange.Uniform(design, 3.0);
            var macro = Lowering.Macro(design, Shared.Library, ranges);
            var fit = Shared.Library.FitOf(CellKind.For(model).Parts[0]);
            double u = CellLibrary.InputRange(model, p, 3.0, 3.0);
            var mp = macro.Layers[0].ParametersOf(0);
            // the law read two-terminal is the mean of the pins: it carries half the to/from mismatch and the pins'
            // output conductance at their own voltages, besides the shape's fit error
            var cell = Shared.Library.Figures[CellTopologies.Rectifier];
            double pins = Math.Abs(mp[PinMacroModel.Amplitude(0)]) * (cell.MaxMismatchPercent / 200 + 0.5 * (cell.MaxToConductance + cell.MaxFromConductance) * Units.VoltageScale * 3.0);
            double bound = Math.Abs(p[1]) * fit.DeviceError(DocumentedFits.Max(fit), u) + 1e-3 * u + pins;
            for (double vs = -3; vs <= 3; vs += 0.5)
                for (double vd = -3; vd <= 3; vd += 0.5)
                    Assert.That(macro.Layers[0].Model.Current(vs, vd, mp), Is.EqualTo(model.Current(vs, vd, p)).Within(bound), $"p {p[0]}, {p[1]} at vs {vs} vd {vd}");
        }
    }
}
