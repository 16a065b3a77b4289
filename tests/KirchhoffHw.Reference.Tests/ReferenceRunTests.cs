using KirchhoffHw.Import;
using KirchhoffHw.Model;

namespace KirchhoffHw.Reference.Tests;

/// <summary>One solve shared by every stage: what a stage reads from it must be what a solve of its own would give.</summary>
public class ReferenceRunTests
{
    private static Design Spiral => ModelLoader.Load(Path.Combine(RepoPaths.Designs, "spiral.yaml")).Design;
    private static readonly double[][] Inputs = [[0.8, -0.4, 0.3], [-1.2, 0.5, 0.9], [0.1, 0.2, -0.3]];

    [Test]
    public void When_Other_Times_Are_Recorded_Too_Expect_The_Same_States_At_A_Stages_Own_Times_Bit_For_Bit()
    {
        var design = Spiral;
        double[] own = [0.1, 0.75, 1.3];
        double[] others = [0.05, 0.2, 0.5, 0.76, 1.0, 1.49];
        var alone = ReferenceSolver.Solve(design, Inputs, SolverOptions.Golden, own);
        var shared = ReferenceRun.Solve(design, Inputs, SolverOptions.Golden, others.Concat(own));
        for (int i = 0; i < Inputs.Length; i++)
        {
            var view = shared.CaseAt(i, own)!;
            Assert.That(view.Samples.Select(s => s.T), Is.EqualTo(own));
            for (int k = 0; k < own.Length; k++)
                Assert.That(view.Samples[k].State, Is.EqualTo(alone.Cases[i].Samples[k].State), $"case {i} at t = {own[k]}");
            Assert.That(view.Output, Is.EqualTo(alone.Cases[i].Output));
            Assert.That(view.Stats, Is.EqualTo(alone.Cases[i].Stats), "recording more times takes no extra steps");
        }
        Assert.That(() => shared.StateAt(0, 0.3), Throws.InstanceOf<ArgumentOutOfRangeException>(), "a time nobody asked for was not recorded");
    }

    /// <summary>
    /// A task of a job array solves only its own cases; its verdicts must still carry the numbers of the whole batch.
    /// 40 inputs fill several SIMD chunks, whose lanes refill as cases leave a layer: a case solved in another
    /// company must come out the same.
    /// </summary>
    [Test]
    public void When_Only_Some_Cases_Are_Solved_Expect_Their_Trajectories_Bit_For_Bit_And_The_Others_Marked_Unsolved()
    {
        var design = ModelLoader.Load(RepoPaths.Model("twomoon", "model.pth")).Design;
        var inputs = Support.RandomInputs(40, design.Input.Width, seed: 5);
        double[] times = [0.25, 0.5, 0.75];
        var all = ReferenceRun.Solve(design, inputs, SolverOptions.Golden, times);
        var only = new HashSet<int> { 3, 17, 18, 39 };
        var some = ReferenceRun.SolveSome(design, inputs, only, SolverOptions.Golden, times);

        Assert.That(some.Inputs, Is.SameAs(inputs));
        Assert.That(some.SampleTimes, Is.EqualTo(all.SampleTimes));
        for (int i = 0; i < inputs.Length; i++)
        {
            if (!only.Contains(i))
            {
                Assert.That(some.Cases[i], Is.Null, $"case {i}");
                Assert.That(some.Failures[i], Does.StartWith("not solved"), $"case {i}");
                continue;
            }
            Assert.That(some.Failures[i], Is.Null);
            Assert.That(some.Cases[i]!.Output, Is.EqualTo(all.Cases[i]!.Output), $"case {i}");
            foreach (var t in times) Assert.That(some.StateAt(i, t), Is.EqualTo(all.StateAt(i, t)), $"case {i} at t = {t}");
        }
    }

    [Test]
    public void When_Counting_Work_Per_Layer_Expect_What_Solving_Growing_Prefixes_Of_The_Design_Adds()
    {
        var design = Spiral;
        var options = SolverOptions.Dopri5(1e-3);
        var full = ReferenceSolver.Solve(design, Inputs, options);
        var before = new long[Inputs.Length];
        for (int l = 0; l < design.Layers.Count; l++)
        {
            var prefix = ReferenceSolver.Solve(design.With(layers: design.Layers.Take(l + 1).ToList()), Inputs, options);
            for (int i = 0; i < Inputs.Length; i++)
            {
                long through = prefix.Cases[i].Stats.RhsEvaluations;
                Assert.That(full.Cases[i].LayerStats[l].RhsEvaluations, Is.EqualTo(through - before[i]), $"case {i}, layer {l}");
                Assert.That(full.Cases[i].LayerStats[l].RhsEvaluations, Is.GreaterThan(0));
                before[i] = through;
            }
        }
        foreach (var c in full.Cases)
            Assert.That(c.LayerStats.Aggregate(SolverStats.Zero, (a, b) => a + b), Is.EqualTo(c.Stats));
    }

    /// <summary>dv/dt = relu(1000 v) overflows from v(0) = 1 while v(0) = 0 stays put.</summary>
    [Test]
    public void When_One_Input_Diverges_Expect_Only_Its_Case_Missing_With_The_Reason()
    {
        var layer = new Layer(0, 1, new Model.Devices.ShiftRelu2(), new EdgeList([0], [1]), [0, 1000, 0]);
        var runaway = new Design("runaway", 1, [layer], new InputMap(1), Readout.AllNodes);
        var counted = new Counting();
        var run = ReferenceRun.Solve(runaway, [[1.0], [0.0]], SolverOptions.Default, [0.5], counted);
        Assert.That(run.Cases[0], Is.Null);
        Assert.That(run.Failures[0], Does.Contain("case 0"));
        Assert.That(run.Cases[1]!.Output[0], Is.EqualTo(0.0));
        Assert.That(counted.Solves, Is.EqualTo(3), "the batch, then each case alone");
    }

    private sealed class Counting : IReferenceSolver
    {
        public int Solves;
        public ReferenceResult Solve(Design design, IReadOnlyList<double[]> inputs, SolverOptions options, IReadOnlyList<double>? sampleTimes = null,
            IProgress<int>? casesDone = null, CancellationToken cancel = default)
        {
            Interlocked.Increment(ref Solves);
            return ReferenceSolver.Default.Solve(design, inputs, options, sampleTimes, casesDone, cancel);
        }
    }
}
