using KirchhoffHw.Import;
using KirchhoffHw.Import.Cases;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Calibration.Tests;

/// <summary>Designs and problems the calibration tests share.</summary>
public static class Fixtures
{
    public static Design Twomoon() => ModelLoader.Load(RepoPaths.Model("twomoon", "model.pth")).Design;

    /// <summary>
    /// A classifier of our own: 4 inputs in [0, 1] on nodes 1..4, logits on nodes 5..7, two tanh layers with a device on
    /// every ordered pair of nodes (ground included), parameters N(0, 0.7^2) from a seed whose classes come out 177/63/60 on 300 random inputs.
    /// </summary>
    public static Design Classifier()
    {
        int nodes = 7;
        var pairs = (from s in Enumerable.Range(0, nodes + 1) from d in Enumerable.Range(0, nodes + 1) where s != d select (s, d)).ToArray();
        var rng = new Random(6);
        var model = new ShiftTanh2();
        Layer Make(double t0, double t1)
        {
            var theta = Enumerable.Range(0, 3 * pairs.Length).Select(_ => 0.7 * Normal(rng)).ToArray();
            return new Layer(t0, t1, model, EdgeList.FromPairs(pairs), theta);
        }
        return new Design("classifier", nodes, [Make(0, 1), Make(1, 2)], new InputMap(4), new Readout(ReadoutKind.Last, 3), task: TaskKind.Classification);
    }

    public static double[][] Inputs(Design design, int count, int seed) => InputReader.Random(count, design.Input.Width, seed,
        design.Task == TaskKind.Classification ? RandomInputKind.Uniform01 : RandomInputKind.StandardNormal);

    /// <summary>
    /// The teacher against its cells: every device perturbed as <paramref name="cells"/> says (seed 7), a, b, c and
    /// amplitude free within x0 +- 0.5 (|x0| + row RMS), a trim per node within 5 % of the node's device amplitudes.
    /// </summary>
    public static CalibrationProblem Problem(Design teacher, CellImperfections cells, int training, int heldOut, double trimCost = 1e-3)
    {
        var train = Inputs(teacher, training, 1);
        var student = cells.Apply(teacher, train, 7);
        return new CalibrationProblem
        {
            Teacher = teacher,
            Student = student,
            TrainingInputs = train,
            HeldOutInputs = Inputs(teacher, heldOut, 2),
            Bounds = student.Layers.Select(l => LayerBounds.Around(l, [PerturbedCell.A, PerturbedCell.B, PerturbedCell.C, PerturbedCell.Amplitude], 0.5)).ToList(),
            Trims = TrimBounds.FromDeviceCurrents(teacher, 0.05, trimCost),
        };
    }

    private static double Normal(Random r)
    {
        double u1 = 1 - r.NextDouble(), u2 = r.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
