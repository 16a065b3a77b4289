using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Cells.Tests;

/// <summary>
/// The calibration's student laws: the two-terminal fitted cell and the pin-level cell, each in the ideal law's own
/// parameters. Each must be the cell law its lowering builds from the same parameters (so a calibrated design lowers to the circuit that was
/// calibrated), and its derivatives must be those of its current (the adjoint uses them).
/// </summary>
public class CellStudentModelTests
{
    private static readonly Units Units = new(40e-12, 1e-7, 0.02);

    private static IEnumerable<DeviceModel> Models => [new ShiftTanh2(), new ShiftTanh1(), new ShiftLeakyRelu1(), new ShiftRelu2()];

    private static (CellStudentModel Student, double[] P, CellMacroModel Macro, double[] Q) Build(DeviceModel model, double[] ideal)
    {
        var kind = CellKind.For(model);
        var fits = kind.Parts.Select(Shared.Library.FitOf).ToArray();
        var student = new CellStudentModel(model, fits, "t");
        // the two-terminal macro law as Lowering.TwoTerminalMacro builds it for a one-device layer whose node ranges give this input range
        var layer = new Layer(0, 1, model, EdgeList.FromPairs([(1, 2)]), (double[])ideal.Clone());
        var nodeRange = new double[] { 0, 1, 1 };
        double r = Lowering.DeviceRange(layer, 0, ideal, nodeRange);
        var design = new Design("one", 2, [layer], new InputMap(2), Readout.AllNodes, Units);
        var macro = Lowering.TwoTerminalMacro(design, Shared.Library, new NodeRanges([nodeRange])).Layers[0];
        var frozen = CellStudentModel.FrozenParts(ideal, model, fits, Shared.Library.Size(model, ideal, Units, r), Units.CurrentScale, r);
        return (student, [.. ideal, .. frozen], (CellMacroModel)macro.Model, macro.ParametersOf(0));
    }

    private static double[] Parameters(DeviceModel model) => model.ParameterCount switch
    {
        2 => [0.15, 0.8],
        _ => [0.6, -0.45, 0.1],
    };

    [TestCaseSource(nameof(Models))]
    public void When_StudentAndMacroLawShareParameters_Expect_TheSameCurrent(DeviceModel model)
    {
        var (student, p, macro, q) = Build(model, Parameters(model));
        foreach (var (vs, vd) in new[] { (0.0, 0.0), (0.7, -0.3), (-1.2, 0.4), (0.05, 0.9) })
            Assert.That(student.Current(vs, vd, p), Is.EqualTo(macro.Current(vs, vd, q)).Within(1e-12 * (1 + Math.Abs(macro.Current(vs, vd, q)))), $"({vs}, {vd})");
    }

    [TestCaseSource(nameof(Models))]
    public void When_DerivativesAreTaken_Expect_CentralDifferencesOfTheCurrent(DeviceModel model)
    {
        var (student, p, _, _) = Build(model, Parameters(model));
        var dIdp = new double[p.Length];
        // points away from the tables' grid corners, where the piecewise-linear curve has no derivative
        foreach (var (vs, vd) in new[] { (0.313, -0.271), (-0.517, 0.233) })
        {
            student.ParameterGradient(vs, vd, p, dIdp);
            var (dvs, dvd) = student.Gradient(vs, vd, p);
            double h = 1e-7;
            Assert.That(dvs, Is.EqualTo((student.Current(vs + h, vd, p) - student.Current(vs - h, vd, p)) / (2 * h)).Within(1e-5 * (1 + Math.Abs(dvs))));
            Assert.That(dvd, Is.EqualTo((student.Current(vs, vd + h, p) - student.Current(vs, vd - h, p)) / (2 * h)).Within(1e-5 * (1 + Math.Abs(dvd))));
            for (int k = 0; k < p.Length; k++)
            {
                var up = (double[])p.Clone(); up[k] += h;
                var down = (double[])p.Clone(); down[k] -= h;
                double fd = (student.Current(vs, vd, up) - student.Current(vs, vd, down)) / (2 * h);
                Assert.That(dIdp[k], Is.EqualTo(fd).Within(1e-5 * (1 + Math.Abs(fd))), $"{student.ParameterNames[k]} at ({vs}, {vd})");
            }
        }
    }

    private static (PinStudentModel Student, double[] P, PinMacroModel Macro, double[] Q) BuildPins(DeviceModel model, double[] ideal)
    {
        var layer = new Layer(0, 1, model, EdgeList.FromPairs([(1, 2)]), (double[])ideal.Clone());
        var design = new Design("one", 2, [layer], new InputMap(2), Readout.AllNodes, Units);
        var macro = Lowering.Macro(design, Shared.Library, new NodeRanges([new double[] { 0, 1, 1 }])).Layers[0];
        var cell = (PinMacroModel)macro.Model;
        var q = macro.ParametersOf(0);
        var student = new PinStudentModel(model, cell);
        return (student, [.. ideal, .. PinStudentModel.FrozenParts(ideal, model, q, cell.Parts.Count)], cell, q);
    }

    [TestCaseSource(nameof(Models))]
    public void When_PinStudentAndMacroCellShareParameters_Expect_TheSamePinCurrents(DeviceModel model)
    {
        var (student, p, macro, q) = BuildPins(model, Parameters(model));
        foreach (var (vs, vd) in new[] { (0.0, 0.0), (0.7, -0.3), (-1.2, 0.4), (0.05, 0.9) })
        {
            var (so, si) = student.PinCurrents(vs, vd, p);
            var (mo, mi) = macro.PinCurrents(vs, vd, q);
            Assert.That(so, Is.EqualTo(mo).Within(1e-12 * (1 + Math.Abs(mo))), $"out of source at ({vs}, {vd})");
            Assert.That(si, Is.EqualTo(mi).Within(1e-12 * (1 + Math.Abs(mi))), $"into destination at ({vs}, {vd})");
        }
    }

    [TestCaseSource(nameof(Models))]
    public void When_PinStudentDerivativesAreTaken_Expect_CentralDifferencesOfEachPin(DeviceModel model)
    {
        var (student, p, _, _) = BuildPins(model, Parameters(model));
        var dOut = new double[p.Length];
        var dIn = new double[p.Length];
        foreach (var (vs, vd) in new[] { (0.313, -0.271), (-0.517, 0.233) })
        {
            student.PinParameterGradient(vs, vd, p, dOut, dIn);
            double h = 1e-6;
            // the orientation is a 0/1 switch, fixed in calibration; every other parameter is differentiated
            for (int k = 0; k < p.Length; k++)
            {
                if (student.ParameterNames[k].StartsWith("rev", StringComparison.Ordinal)) continue;
                var up = (double[])p.Clone(); up[k] += h;
                var down = (double[])p.Clone(); down[k] -= h;
                var (uo, ui) = student.PinCurrents(vs, vd, up);
                var (lo, li) = student.PinCurrents(vs, vd, down);
                double fo = (uo - lo) / (2 * h), fi = (ui - li) / (2 * h);
                Assert.That(dOut[k], Is.EqualTo(fo).Within(1e-5 * (1 + Math.Abs(fo))), $"out, {student.ParameterNames[k]} at ({vs}, {vd})");
                Assert.That(dIn[k], Is.EqualTo(fi).Within(1e-5 * (1 + Math.Abs(fi))), $"in, {student.ParameterNames[k]} at ({vs}, {vd})");
            }
        }
    }

    [TestCaseSource(nameof(Models))]
    public void When_PinStudentAdjointIsBatched_Expect_TheWeightedPerSampleGradients(DeviceModel model)
    {
        // the calibration's backward pass runs this kernel; each sample must get w_out dI_out + w_in dI_in exactly as
        // the scalar pin gradients give it, a sample with both weights zero nothing, and the sums must add to what is there
        var (student, p, _, _) = BuildPins(model, Parameters(model));
        var random = new Random(11);
        const int n = 19;
        var vs = Enumerable.Range(0, n).Select(_ => 3 * random.NextDouble() - 1.5).ToArray();
        var vd = Enumerable.Range(0, n).Select(_ => 3 * random.NextDouble() - 1.5).ToArray();
        var wo = Enumerable.Range(0, n).Select(b => b % 5 == 0 ? 0 : random.NextDouble() - 0.5).ToArray();
        var wi = Enumerable.Range(0, n).Select(b => b % 5 == 0 ? 0 : random.NextDouble() - 0.5).ToArray();
        var gs = Enumerable.Repeat(0.25, n).ToArray();
        var gd = Enumerable.Repeat(-0.5, n).ToArray();
        var gp = Enumerable.Repeat(1.0, p.Length * n).ToArray();
        student.PinAdjoint(vs, vd, p, wo, wi, gs, gd, gp);
        var dOut = new double[p.Length];
        var dIn = new double[p.Length];
        for (int b = 0; b < n; b++)
        {
            var g = student.PinGradient(vs[b], vd[b], p);
            double es = 0.25 + wo[b] * g.SrcDVs + wi[b] * g.DstDVs, ed = -0.5 + wo[b] * g.SrcDVd + wi[b] * g.DstDVd;
            Assert.That(gs[b], Is.EqualTo(es).Within(1e-12 * (1 + Math.Abs(es))), $"vs of sample {b}");
            Assert.That(gd[b], Is.EqualTo(ed).Within(1e-12 * (1 + Math.Abs(ed))), $"vd of sample {b}");
            student.PinParameterGradient(vs[b], vd[b], p, dOut, dIn);
            for (int k = 0; k < p.Length; k++)
            {
                double expected = 1 + wo[b] * dOut[k] + wi[b] * dIn[k];
                Assert.That(gp[k * n + b], Is.EqualTo(expected).Within(1e-12 * (1 + Math.Abs(expected))), $"{student.ParameterNames[k]} of sample {b}");
            }
        }
    }
}
