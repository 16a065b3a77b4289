using KirchhoffHw.Generate;
using KirchhoffHw.Generate.Dialects.Ngspice;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;
using KirchhoffHw.Reference;
using KirchhoffHw.Simulate.Ngspice;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Cells.Tests;

/// <summary>The pin-level macro model: its tables against the characterization, its derivatives, and KCL with two pins.</summary>
public class PinMacroTests
{
    private static readonly Units Units = new(1e-12, 1e-9, 0.02);

    /// <summary>A design of every family's cells (tanh, relu, leaky relu: two parts), both orientations, lowered.</summary>
    private static IEnumerable<Design> Lowered()
    {
        (DeviceModel Model, double[] Theta)[] laws =
        [
            (new ShiftTanh2(), [0.6, -0.5, /* p1 */ -0.4, 0.3, /* p2 */ 0.1, -0.2]),
            (new ShiftRelu1(), [0.3, -0.2, /* p1 */ 0.8, -0.5]),
            (new ShiftLeakyRelu1(), [0.3, -0.2, /* p1 */ 0.8, -0.5]),
        ];
        foreach (var (model, theta) in laws)
        {
            var design = Designs.Build(Units, model, [(1, 2), (2, 1)], theta);
            yield return Lowering.Macro(design, Shared.Library, OperatingRange.Uniform(design, 3.0));
        }
    }

    [Test]
    public void When_PinTablesRead_Expect_EveryCharacterizedPointWithinTheInterpolationBound()
    {
        foreach (var pin in Shared.Library.PinFits)
        {
            var part = pin.Part!; // the library's tables come from its fitted parts
            var c = Shared.Library.Characterizations[part.Topology];
            double worst = 0;
            int points = 0;
            for (int k = 0; k < c.OutputVolts.Length; k++)
                for (int i = 0; i < c.Y.Length; i++)
                {
                    double y = c.Y[i] - part.Offset;
                    if (y < part.Y[0] || y > part.Y[^1]) continue;
                    worst = Math.Max(worst, Math.Abs(pin.From.Evaluate(y, c.OutputVolts[k]) - c.From[k][i]));
                    worst = Math.Max(worst, Math.Abs(pin.To.Evaluate(y, c.OutputVolts[k]) - c.To[k][i]));
                    points++;
                }
            TestContext.Out.WriteLine($"{part.Topology.Title} {part.Operation}: {points} points, max |table - measured| {worst:G3} of bias");
            Assert.That(points, Is.GreaterThan(500));
            Assert.That(worst, Is.EqualTo(pin.InterpolationError).Within(1e-15), "the recorded figure is this one");
            // the tables are resampled onto the fit's 161-point grid: the bound is that grid's resolution of the curves
            Assert.That(worst, Is.LessThan(2e-3), $"{part.Topology.Title} {part.Operation}");
            // and the rows are the measured pins, not their mean: at 0 V the two pins differ as characterized
            double y0 = -part.Offset;
            double measured = PartFitTestAccess.Interpolate(c.Y, c.To[c.Centre], 0) - PartFitTestAccess.Interpolate(c.Y, c.From[c.Centre], 0);
            Assert.That(pin.To.Evaluate(y0, 0) - pin.From.Evaluate(y0, 0), Is.EqualTo(measured).Within(1e-4));
        }
    }

    [Test]
    public void When_CellFiguresRecorded_Expect_MismatchAndConductanceAsCharacterized()
    {
        foreach (var (topology, f) in Shared.Library.Figures)
        {
            TestContext.Out.WriteLine($"{f.Cell}: mismatch at balance {f.MismatchAtBalancePercent:G3} %, max {f.MaxMismatchPercent:G3} %; " +
                $"output conductance to {f.ToConductance:G3} / from {f.FromConductance:G3} of bias per V at balance, max {f.MaxToConductance:G3} / {f.MaxFromConductance:G3} over {f.SwingVolts} V");
            var c = Shared.Library.Characterizations[topology];
            Assert.That(f.MaxMismatchPercent, Is.GreaterThanOrEqualTo(Math.Abs(f.MismatchAtBalancePercent)));
            Assert.That(f.MaxToConductance, Is.GreaterThanOrEqualTo(Math.Abs(f.ToConductance)));
            double outer = c.OutputVolts.Max(Math.Abs);
            Assert.That(f.SwingVolts, Is.GreaterThan(0).And.LessThanOrEqualTo(2 * OutputFigures.SwingFraction * outer + 1e-9), "over the node swing, not the compliance copies");
            Assert.That(f.MaxToConductance + f.MaxFromConductance, Is.GreaterThan(0), "a MOS output is never ideal");
        }
    }

    /// <summary>
    /// Checks a pin-level law's derivatives at (vs, vd) with <paramref name="check"/> (analytic, function, point, what):
    /// both pins against both voltages, and against every parameter but those <paramref name="skip"/> names. Returns the
    /// voltage gradient and the parameter gradients of the current out of the source and into the destination.
    /// </summary>
    internal static ((double SrcDVs, double SrcDVd, double DstDVs, double DstDVd) Volts, double[] Out, double[] In) CheckPinGradients(
        DeviceModel m, double vs, double vd, double[] p, Action<double, Func<double, double>, double, string> check, Func<int, bool> skip)
    {
        var g = m.PinGradient(vs, vd, p);
        check(g.SrcDVs, x => m.PinCurrents(x, vd, p).OutOfSource, vs, $"{m.Name} dOut/dvs");
        check(g.SrcDVd, x => m.PinCurrents(vs, x, p).OutOfSource, vd, $"{m.Name} dOut/dvd");
        check(g.DstDVs, x => m.PinCurrents(x, vd, p).IntoDestination, vs, $"{m.Name} dIn/dvs");
        check(g.DstDVd, x => m.PinCurrents(vs, x, p).IntoDestination, vd, $"{m.Name} dIn/dvd");
        var o = new double[p.Length];
        var i = new double[p.Length];
        m.PinParameterGradient(vs, vd, p, o, i);
        for (int k = 0; k < p.Length; k++)
        {
            if (skip(k)) continue;
            double At(double x, bool output)
            {
                var q = (double[])p.Clone();
                q[k] = x;
                var c = m.PinCurrents(vs, vd, q);
                return output ? c.OutOfSource : c.IntoDestination;
            }
            check(o[k], x => At(x, true), p[k], $"{m.Name} dOut/d{m.ParameterNames[k]}");
            check(i[k], x => At(x, false), p[k], $"{m.Name} dIn/d{m.ParameterNames[k]}");
        }
        return (g, o, i);
    }

    [Test]
    public void When_PinGradientsTaken_Expect_CentralDifferencesTo1e6Relative()
    {
        var random = new Random(3);
        foreach (var design in Lowered())
        {
            var layer = design.Layers[0];
            var m = layer.Model;
            Assert.That(m.IsPinLevel, Is.True);
            for (int e = 0; e < layer.Edges.Count; e++)
            {
                var p = layer.ParametersOf(e);
                for (int trial = 0; trial < 20; trial++)
                {
                    double vs = 6 * random.NextDouble() - 3, vd = 6 * random.NextDouble() - 3;
                    CheckPinGradients(m, vs, vd, p, Check, _ => false);
                }
            }
        }

        static void Check(double analytic, Func<double, double> f, double x, string what)
        {
            // the interpolant is a cubic between grid points, so a small step's truncation error is ~h^2 of its third derivative
            double h = 1e-6 * Math.Max(1, Math.Abs(x));
            double fd = (f(x + h) - f(x - h)) / (2 * h);
            Assert.That(analytic, Is.EqualTo(fd).Within(1e-6 * Math.Max(Math.Abs(fd), 1e-3)), what);
        }
    }

    [Test]
    public void When_BatchedAndAdjointKernelsRun_Expect_TheScalarPinLaw()
    {
        var random = new Random(5);
        foreach (var design in Lowered())
        {
            var layer = design.Layers[0];
            var m = layer.Model;
            var p = layer.ParametersOf(1);
            int n = 37;
            var vs = Enumerable.Range(0, n).Select(_ => 6 * random.NextDouble() - 3).ToArray();
            var vd = Enumerable.Range(0, n).Select(_ => 6 * random.NextDouble() - 3).ToArray();
            var wo = Enumerable.Range(0, n).Select(_ => random.NextDouble() - 0.5).ToArray();
            var wi = Enumerable.Range(0, n).Select(_ => random.NextDouble() - 0.5).ToArray();
            var o = new double[n];
            var i = new double[n];
            m.PinCurrents(vs, vd, p, o, i);
            var gs = new double[n];
            var gd = new double[n];
            var gp = new double[p.Length * n];
            m.PinAdjoint(vs, vd, p, wo, wi, gs, gd, gp);
            var po = new double[p.Length];
            var pi = new double[p.Length];
            for (int b = 0; b < n; b++)
            {
                var c = m.PinCurrents(vs[b], vd[b], p);
                Assert.That((o[b], i[b]), Is.EqualTo(c));
                var g = m.PinGradient(vs[b], vd[b], p);
                Assert.That(gs[b], Is.EqualTo(wo[b] * g.SrcDVs + wi[b] * g.DstDVs).Within(1e-12));
                Assert.That(gd[b], Is.EqualTo(wo[b] * g.SrcDVd + wi[b] * g.DstDVd).Within(1e-12));
                m.PinParameterGradient(vs[b], vd[b], p, po, pi);
                for (int k = 0; k < p.Length; k++)
                    Assert.That(gp[k * n + b], Is.EqualTo(wo[b] * po[k] + wi[b] * pi[k]).Within(1e-12), m.ParameterNames[k]);
            }
            // the node-shared kernels the reference runs, at the rails and beyond them too
            foreach (double v in new[] { 0.3, 2.5, 40.0 })
                NodeTermsCheck.Compare(m, v, -0.7 * v, p, random);
        }
    }

    [Test]
    public void When_CellHasMismatch_Expect_ItsTwoNodesSeeDifferentCurrentsInKcl()
    {
        // one tanh cell at balance (u = 0) between two nodes at 0 V: an ideal device moves no charge, the cell's pins
        // give and take different currents, so the charge on the pair drifts by (in - out) per unit time
        var ideal = Designs.Build(Units, new ShiftTanh2(), [(1, 2)], [1.0, -1.0, 0.0]);
        var macro = Lowering.Macro(ideal, Shared.Library, OperatingRange.Uniform(ideal, 1.0));
        var m = macro.Layers[0].Model;
        var p = macro.Layers[0].ParametersOf(0);
        var (outOfSource, intoDestination) = m.PinCurrents(0, 0, p);
        Assert.That(Math.Abs(intoDestination - outOfSource), Is.GreaterThan(1e-5 * Math.Abs(p[PinMacroModel.Amplitude(0)])), "the characterized mirrors are not equal");
        var run = ReferenceSolver.Solve(macro, [[0.0, 0.0]], SolverOptions.Dopri5(1e-10), [0.01]);
        var state = run.Cases[0].Samples[0].State;
        double drift = (state[0] + state[1]) / 0.01;
        Assert.That(drift, Is.EqualTo(intoDestination - outOfSource).Within(0.05 * Math.Abs(intoDestination - outOfSource)));
        var idealRun = ReferenceSolver.Solve(ideal, [[0.0, 0.0]], SolverOptions.Dopri5(1e-10), [0.01]);
        Assert.That(idealRun.Cases[0].Samples[0].State.Sum(), Is.EqualTo(0).Within(1e-12), "a two-terminal law conserves the pair's charge");
    }

    [Test]
    public void When_PinLawsWritten_Expect_TheSoftwareLawAndTwoSourcesPerDevice()
    {
        foreach (var design in Lowered())
        {
            var layer = design.Layers[0];
            var m = layer.Model;
            var (outLaw, inLaw) = m.PinLaws!.Value;
            for (int e = 0; e < layer.Edges.Count; e++)
            {
                var p = layer.ParametersOf(e);
                double amp = Math.Abs(p[PinMacroModel.Amplitude(0)]);
                for (double vs = -3; vs <= 3; vs += 0.37)
                    for (double vd = -3; vd <= 3; vd += 0.41)
                    {
                        var (o, i) = m.PinCurrents(vs, vd, p);
                        // the deck's tables are linear between the grid points the software law's cubic passes through
                        Assert.That(outLaw.Evaluate(vs, vd, p), Is.EqualTo(o).Within(2e-3 * amp), $"{m.Name} out at {vs}, {vd}");
                        Assert.That(inLaw.Evaluate(vs, vd, p), Is.EqualTo(i).Within(2e-3 * amp), $"{m.Name} in at {vs}, {vd}");
                    }
            }
            var deck = new NgspiceEmitter().FormatDeck(design, SpiceOptions.Default with { Input = [0.5, -0.5] });
            var lines = deck.Split('\n');
            Assert.That(lines.Count(l => l.StartsWith("B1 src 0 I=")), Is.EqualTo(1));
            Assert.That(lines.Count(l => l.StartsWith("B2 0 dst I=")), Is.EqualTo(1));
            Assert.That(lines.Count(l => l.StartsWith("XL0_")), Is.EqualTo(layer.Edges.Count), "written per device");
        }
    }

    [Test]
    public void When_LoweredForCalibration_Expect_StudentBoundsBuildable()
    {
        var teacher = Designs.Build(Paper, new ShiftTanh2(), [(1, 2), (2, 0), (0, 1)], [0.6, -0.5, 0.2, -0.4, 0.3, 0.1, 0.1, -0.2, 0.3]);
        var pins = Lowering.ToPinLevelMacro(teacher, Shared.Library, Units, 0.02, [[0.5, -0.5], [1.0, 0.2]]);
        Assert.That(pins.Student.Units.VoltageScale, Is.EqualTo(0.02));
        Assert.That(pins.Student.Layers[0].Model, Is.TypeOf<PinMacroModel>());
        // a tanh layer is built by the v2 cells: its bias moves within the unit's range, at the deck's boost
        Assert.That(((PinMacroModel)pins.Student.Layers[0].Model).Input, Is.Not.Null, "the v2 law");
        double boost = RegulatedNetlist.CapacitanceBoost(teacher.With(units: Units with { VoltageScale = 0.02 }));
        var (minBias, maxBias) = (RegulatedFamily.Deck.MinBias / boost, RegulatedFamily.Deck.MaxBias / boost);
        var layer = pins.Student.Layers[0];
        var (lower, upper) = pins.Bounds[0];
        int n = layer.Edges.Count;
        Assert.That(lower, Has.Length.EqualTo(layer.Theta.Length));
        for (int e = 0; e < n; e++)
        {
            for (int k = 0; k < layer.Model.ParameterCount; k++)
                Assert.That(layer.Theta[k * n + e], Is.InRange(lower[k * n + e], upper[k * n + e]), $"device {e} {layer.Model.ParameterNames[k]} starts inside");
            int a = PinMacroModel.Amplitude(0), g = PinMacroModel.Gain(0), r = PinMacroModel.Reversed(0);
            double scale = pins.Student.Units.CurrentScale;
            double near = Math.Min(Math.Abs(lower[a * n + e]), Math.Abs(upper[a * n + e])) * scale;
            double far = Math.Max(Math.Abs(lower[a * n + e]), Math.Abs(upper[a * n + e])) * scale;
            Assert.That((near, far), Is.EqualTo((minBias, maxBias)).Using<(double, double)>((x, y) => Math.Abs(x.Item1 - y.Item1) <= 1e-12 * y.Item1 && Math.Abs(x.Item2 - y.Item2) <= 1e-12 * y.Item2));
            Assert.That(Math.Sign(lower[a * n + e]), Is.EqualTo(Math.Sign(upper[a * n + e])), "the orientation is kept");
            Assert.That(upper[g * n + e], Is.EqualTo(lower[g * n + e]), "the gain is fixed");
            Assert.That(upper[r * n + e], Is.EqualTo(lower[r * n + e]), "the orientation is fixed");
            Assert.That(upper[PinMacroModel.C * n + e], Is.GreaterThan(lower[PinMacroModel.C * n + e]), "c is free");
        }
    }

    private static readonly Units Paper = Units.Paper;
}

/// <summary>twomoon at 1 pF / 100 ns, 20 mV per unit: the software macro solve against the transistor deck.</summary>
public class PinMacroTwomoonTests
{
    [Test]
    public void When_TwomoonSolvedAtMacro_Expect_TheTransistorDeckPredicted()
    {
        // 100 pF / 100 ns: every device's bias within what the per-device OTA cells build at their minimum width, so
        // the deck and the pin-level law are sized alike (below it the inversion-level sizing asks widths these cells
        // do not have)
        var design = Import.ModelLoader.Load(RepoPaths.Model("twomoon", "model.pth")).Design.With(units: new Units(1e-10, 1e-7, 0.02));
        var inputs = Import.Cases.InputReader.Read(RepoPaths.Model("twomoon", "vectors.json")).Take(4).ToArray();
        var options = VerifyOptions.Default with { Reference = SolverOptions.Dopri5(1e-9) };
        var times = Verifier.SampleTimes(design, options).Concat(OperatingRange.SampleTimes(design)).Distinct().Order().ToList();
        var reference = ReferenceRun.Solve(design, inputs, options.Reference, times);
        var ranges = OperatingRange.Of(reference);
        // the per-device OTA cells, the cells the pin tables were characterized from (the v2 deck has no macro model yet)
        var lowered = Lowering.Lower(design, Fidelity.Transistor, Shared.Library, ranges) with
        {
            Netlist = new TransistorNetlist(Shared.Library, KirchhoffHw.Generate.Templating.TemplateSet.Default, ranges),
        };
        options = options with
        {
            Circuit = lowered.Circuit,
            Fidelity = lowered.Built,
            Supply = new Supply(Shared.Tech.Name, Shared.Tech.Vss, Shared.Tech.Vdd, Powers: true),
            // reltol 1e-3 as the cells' measurements were taken; at 1e-6 this deck stalls on its behavioural input branch
            Spice = lowered.Apply(SpiceOptions.Default with { SimulatorOptions = new Dictionary<string, string> { ["reltol"] = "1e-3" } }),
        };
        var report = new Verifier(design, options, () => new NgspiceShared(), Environment.ProcessorCount).Run(reference);
        var transistor = report.Cases.Select(c => c.Circuit?.Output ?? throw new AssertionException($"case {c.Index} did not simulate: {c.Message}")).ToList();

        var spread = Metrics.PooledStd(reference.Cases.Select(c => c!.Output).ToList());
        double Error(Design macro)
        {
            var run = ReferenceSolver.Solve(macro, inputs, options.Reference);
            return run.Cases.Zip(transistor, (m, t) => Metrics.Distance(m.Output, t)).Average() / spread;
        }
        double pins = Error(Lowering.Macro(design, Shared.Library, ranges));
        double twoTerminal = Error(Lowering.TwoTerminalMacro(design, Shared.Library, ranges));
        TestContext.Out.WriteLine($"mean distance to the transistor deck / reference spread {spread:G3}: pin-level {pins:G3}, two-terminal {twoTerminal:G3}");
        Assert.That(pins, Is.LessThan(PredictionShare * twoTerminal), "the pins explain most of what the two-terminal law cannot");
    }

    /// <summary>
    /// What this test holds: the pin-level law's distance is a fifth of the two-terminal one's or less. Measured
    /// 2026-12-02 on these 4 inputs at 100 pF / 100 ns: 0.088 against 1.01 of the reference spread. The product's target
    /// is 0.05 of the spread (on 1 pF / 100 ns before the inversion-level sizing: 0.007 on the first input); not met here.
    /// </summary>
    public const double PredictionShare = 0.2;
}
