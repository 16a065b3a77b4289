using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Cells.Tests;

/// <summary>
/// The calibration's student law: the fitted cell in the ideal law's own parameters. It must be the macro law
/// <see cref="Lowering.Macro"/> builds from the same parameters (so a calibrated design lowers to the circuit that was
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
        // the macro law as Lowering.Macro builds it for a one-device layer whose node ranges give this input range
        var layer = new Layer(0, 1, model, EdgeList.FromPairs([(1, 2)]), (double[])ideal.Clone());
        var nodeRange = new double[] { 0, 1, 1 };
        double r = Lowering.DeviceRange(layer, 0, ideal, nodeRange);
        var design = new Design("one", 2, [layer], new InputMap(2), Readout.AllNodes, Units);
        var macro = Lowering.Macro(design, Shared.Library, new NodeRanges([nodeRange])).Layers[0];
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
}
