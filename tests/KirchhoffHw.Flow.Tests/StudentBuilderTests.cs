using KirchhoffHw.Cells;
using KirchhoffHw.Import;
using KirchhoffHw.Model;

namespace KirchhoffHw.Flow.Tests;

/// <summary>The calibration student is the law of the cells the transistor deck builds.</summary>
public class StudentBuilderTests
{
    private static readonly Technology Tech = Technology.Load(Technology.DefaultPath(RepoPaths.Root));

    [Test]
    public void When_V2EligibleDesignCalibrated_Expect_StudentIsTheV2PinLaw()
    {
        var library = CellLibrary.Build(Tech, Designs.Cached(Tech));
        var teacher = DesignYaml.Load(Path.Combine(RepoPaths.Designs, "spiral.yaml")).With(units: new Units(1e-12, 100e-9, 0.1));
        Assert.That(RegulatedNetlist.Builds(teacher), Is.True);
        var ranges = OperatingRange.Uniform(teacher, 1.0);
        var student = new PinCellStudentBuilder().Build(teacher, library, ranges);
        var v2 = Lowering.PinMacro(teacher, library, ranges);
        var random = new Random(2);
        for (int li = 0; li < teacher.Layers.Count; li++)
        {
            var layer = student.Circuit.Layers[li];
            var model = layer.Model as PinStudentModel;
            Assert.That(model, Is.Not.Null, $"layer {li} is a pin-level student");
            Assert.That(model!.Cell.Input, Is.Not.Null, "its cell reads the v2 drivers' curve");
            Assert.That(model.Cell.Input, Is.SameAs(library.Regulated.Drive));
            Assert.That(model.Cell.Parts[0], Is.SameAs(teacher.Layers[li].Model.Family == KirchhoffHw.Model.Devices.DeviceFamily.Tanh ? library.Regulated.Tanh : library.Regulated.Relu));
            // at the trained parameters the student puts into every pin what the v2 macro law does
            var lowered = v2.Layers[li];
            for (int e = 0; e < layer.Edges.Count; e++)
                for (int t = 0; t < 5; t++)
                {
                    double vs = 6 * random.NextDouble() - 3, vd = 6 * random.NextDouble() - 3;
                    var got = model.PinCurrents(vs, vd, layer.ParametersOf(e));
                    var want = lowered.Model.PinCurrents(vs, vd, lowered.ParametersOf(e));
                    Assert.That(got.OutOfSource, Is.EqualTo(want.OutOfSource).Within(1e-9 * (1 + Math.Abs(want.OutOfSource))), $"layer {li} device {e}");
                    Assert.That(got.IntoDestination, Is.EqualTo(want.IntoDestination).Within(1e-9 * (1 + Math.Abs(want.IntoDestination))), $"layer {li} device {e}");
                }
        }
        // the calibrated student goes back to the teacher's own laws
        var back = student.ToDesign(student.Circuit);
        Assert.That(back.Layers.Select(l => l.Model.Name), Is.EqualTo(teacher.Layers.Select(l => l.Model.Name)));
        Assert.That(back.Layers[0].Theta, Is.EqualTo(teacher.Layers[0].Theta));
        Assert.That(student.Kind, Does.Contain("v2"));
    }

    [Test]
    public void When_V2StudentDifferentiated_Expect_CentralDifferencesAndTheBatchedAdjoint()
    {
        var library = CellLibrary.Build(Tech, Designs.Cached(Tech));
        var teacher = DesignYaml.Load(Path.Combine(RepoPaths.Designs, "spiral.yaml")).With(units: new Units(1e-12, 100e-9, 0.1));
        var student = new PinCellStudentBuilder().Build(teacher, library, OperatingRange.Uniform(teacher, 1.0));
        var random = new Random(4);
        int checks = 0;
        foreach (var layer in student.Circuit.Layers)
        {
            var m = (PinStudentModel)layer.Model;
            int k = m.Ideal.ParameterCount;
            for (int e = 0; e < layer.Edges.Count; e++)
            {
                var p = layer.ParametersOf(e);
                double vs = 8 * random.NextDouble() - 4, vd = 8 * random.NextDouble() - 4;
                var o = new double[p.Length]; var i = new double[p.Length];
                m.PinParameterGradient(vs, vd, p, o, i);
                // the free parameters (the ideal law's) and the frozen input map, against central differences
                foreach (int j in Enumerable.Range(0, k).Concat(Enumerable.Range(m.InputMapOffset, 4)))
                {
                    double h = 1e-6 * Math.Max(1, Math.Abs(p[j]));
                    var up = (double[])p.Clone(); up[j] += h;
                    var down = (double[])p.Clone(); down[j] -= h;
                    var (ou, iu) = m.PinCurrents(vs, vd, up);
                    var (od, id) = m.PinCurrents(vs, vd, down);
                    Assert.That(o[j], Is.EqualTo((ou - od) / (2 * h)).Within(1e-5 * Math.Max(Math.Abs(o[j]), 1e-3)), $"{m.Name} dOut/d{m.ParameterNames[j]}");
                    Assert.That(i[j], Is.EqualTo((iu - id) / (2 * h)).Within(1e-5 * Math.Max(Math.Abs(i[j]), 1e-3)), $"{m.Name} dIn/d{m.ParameterNames[j]}");
                    checks += 2;
                }
                // the batched adjoint is the weighted per-sample gradient
                double wo = random.NextDouble() - 0.5, wi = random.NextDouble() - 0.5;
                var gvs = new double[1]; var gvd = new double[1]; var gp = new double[p.Length];
                m.PinAdjoint([vs], [vd], p, [wo], [wi], gvs, gvd, gp);
                var g = m.PinGradient(vs, vd, p);
                Assert.That(gvs[0], Is.EqualTo(wo * g.SrcDVs + wi * g.DstDVs).Within(1e-10 * (1 + Math.Abs(gvs[0]))));
                Assert.That(gvd[0], Is.EqualTo(wo * g.SrcDVd + wi * g.DstDVd).Within(1e-10 * (1 + Math.Abs(gvd[0]))));
                for (int j = 0; j < p.Length; j++)
                    Assert.That(gp[j], Is.EqualTo(wo * o[j] + wi * i[j]).Within(1e-10 * (1 + Math.Abs(gp[j]))), $"adjoint d/d{m.ParameterNames[j]}");
                // the node-shared kernels the calibration runs are the batched ones
                checks += NodeTermsCheck.Compare(m, vs, vd, p, random);
            }
        }
        TestContext.Out.WriteLine($"{checks} derivatives checked");
    }

    [Test]
    public void When_LinearDesignCalibrated_Expect_StudentKeepsThePerDeviceCellLaw()
    {
        var library = CellLibrary.Build(Tech, Designs.Cached(Tech));
        var teacher = Designs.Tiny;
        Assert.That(RegulatedNetlist.Builds(teacher), Is.False);
        var student = new PinCellStudentBuilder().Build(teacher, library, OperatingRange.Uniform(teacher, 1.0));
        foreach (var layer in student.Circuit.Layers)
            Assert.That(((PinStudentModel)layer.Model).Cell.Input, Is.Null, "the per-device cells' law: affine in the node voltages");
    }
}
