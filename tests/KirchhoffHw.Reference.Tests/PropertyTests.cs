using FsCheckProperty = FsCheck.NUnit.PropertyAttribute;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Reference.Tests;

/// <summary>Random small designs over every device model and topology shape.</summary>
public class PropertyTests
{
    private static IEnumerable<TestCaseData> ModelsAndShapes() =>
        from m in DeviceModels.All from s in Enum.GetValues<Shape>() select new TestCaseData(m, s).SetArgDisplayNames(m.Name, s.ToString());

    [TestCaseSource(nameof(ModelsAndShapes))]
    public void When_Dopri5SolvesRandomDesign_Expect_MatchesSmallStepScalarRk4(DeviceModel model, Shape shape)
    {
        int seed = DeviceModels.All.ToList().IndexOf(model) * 10 + (int)shape;
        var design = Support.RandomDesign(seed, model, shape);
        var inputs = Support.RandomInputs(3, design.NodeCount, seed);
        var result = ReferenceSolver.Solve(design, inputs, SolverOptions.Dopri5(1e-10));
        for (int i = 0; i < inputs.Length; i++)
        {
            var expected = Support.ScalarRk4(design, inputs[i], 2e-3);
            for (int l = 0; l < design.Layers.Count; l++)
                Assert.That(Support.MaxAbsDiff(result.Cases[i].Boundaries[l].State, expected[l]), Is.LessThan(1e-6), $"case {i} layer {l}");
        }
    }

    [Test]
    public void When_LayersMixModels_Expect_Dopri5AndRk4Agree()
    {
        for (int seed = 100; seed < 110; seed++)
        {
            var design = Support.RandomDesign(seed);
            var inputs = Support.RandomInputs(5, design.NodeCount, seed);
            var dopri = ReferenceSolver.Solve(design, inputs, SolverOptions.Dopri5(1e-10));
            var rk4 = ReferenceSolver.Solve(design, inputs, SolverOptions.Rk4(1e-3));
            for (int i = 0; i < inputs.Length; i++)
                Assert.That(Support.MaxAbsDiff(dopri.Cases[i].Output, rk4.Cases[i].Output), Is.LessThan(1e-6), $"seed {seed} case {i}");
        }
    }

    [FsCheckProperty(MaxTest = 200)]
    public void When_RhsEvaluated_Expect_KclBalancesWithGroundAndMatchesScalarLaw(int seed)
    {
        var design = Support.RandomDesign(seed);
        var rng = new Random(seed);
        int width = 1 + rng.Next(9);
        foreach (var layer in design.Layers)
        {
            var kcl = new Kcl(layer, design.NodeCount);
            var state = new double[kcl.StateLength(width)];
            for (int i = width; i < state.Length; i++) state[i] = 4 * rng.NextDouble() - 2;
            var dy = new double[state.Length];
            var ground = new double[width];
            kcl.Evaluate(state, dy, width, ground);
            for (int b = 0; b < width; b++)
            {
                var v = Enumerable.Range(0, design.NodeCount + 1).Select(n => state[n * width + b]).ToArray();
                var expected = Support.ScalarRhs(layer, v);
                double sum = 0, scale = 1;
                for (int n = 1; n <= design.NodeCount; n++)
                {
                    sum += dy[n * width + b];
                    scale += Math.Abs(dy[n * width + b]);
                    Assert.That(dy[n * width + b], Is.EqualTo(expected[n]).Within(1e-12 * (1 + Math.Abs(expected[n]))), $"node {n}");
                }
                Assert.That(dy[b], Is.Zero, "ground row");
                Assert.That(sum + ground[b], Is.EqualTo(0).Within(1e-13 * scale), "KCL: node derivatives plus ground inflow");
            }
        }
    }

    [FsCheckProperty(MaxTest = 100)]
    public void When_FusedKernelReplacesModelKernel_Expect_SameDerivative(int seed)
    {
        var design = Support.RandomDesign(seed);
        const int width = 8;
        var rng = new Random(seed);
        foreach (var layer in design.Layers)
        {
            var fused = new Kcl(layer, design.NodeCount);
            var generic = new Kcl(layer, design.NodeCount, useModelKernel: true);
            var state = new double[fused.StateLength(width)];
            for (int i = width; i < state.Length; i++) state[i] = 4 * rng.NextDouble() - 2;
            var a = new double[state.Length];
            var b = new double[state.Length];
            fused.Evaluate(state, a, width);
            generic.Evaluate(state, b, width);
            Assert.That(fused.IsFused && !generic.IsFused, Is.True);
            Assert.That(Support.MaxAbsDiff(a, b), Is.LessThan(1e-13));
        }
    }

    [FsCheckProperty(MaxTest = 100)]
    public void When_WideKernelReplacesPortable_Expect_SameBits(int seed)
    {
        // Widths that are whole 512-bit vectors, so neither kernel takes its scalar tail.
        var design = Support.RandomDesign(seed);
        var rng = new Random(seed);
        int width = 8 * (1 + rng.Next(3));
        foreach (var layer in design.Layers)
        {
            var wide = new Kcl(layer, design.NodeCount, useModelKernel: false, wide: true);
            var portable = new Kcl(layer, design.NodeCount, useModelKernel: false, wide: false);
            var state = new double[wide.StateLength(width)];
            for (int i = width; i < state.Length; i++) state[i] = 4 * rng.NextDouble() - 2;
            var a = new double[state.Length];
            var b = new double[state.Length];
            wide.Evaluate(state, a, width);
            portable.Evaluate(state, b, width);
            Assert.That(a.Select(BitConverter.DoubleToInt64Bits), Is.EqualTo(b.Select(BitConverter.DoubleToInt64Bits)), layer.Model.Name);
        }
    }

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(16)]
    public void When_CaseSolvedInsideBatch_Expect_SameAnswerAsAlone(int chunkSize)
    {
        for (int seed = 200; seed < 206; seed++)
        {
            var design = Support.RandomDesign(seed);
            var inputs = Support.RandomInputs(11, design.NodeCount, seed);
            var options = SolverOptions.Dopri5(1e-6) with { ChunkSize = chunkSize };
            var batch = ReferenceSolver.Solve(design, inputs, options, [design.TEnd / 3]);
            foreach (int i in new[] { 0, 5, 10 })
            {
                var alone = ReferenceSolver.Solve(design, [inputs[i]], options with { ChunkSize = 7 }, [design.TEnd / 3]).Cases[0];
                Assert.That(Support.MaxAbsDiff(batch.Cases[i].Output, alone.Output), Is.LessThanOrEqualTo(1e-12), $"seed {seed} case {i}");
                Assert.That(Support.MaxAbsDiff(batch.Cases[i].Samples[0].State, alone.Samples[0].State), Is.LessThanOrEqualTo(1e-12));
                Assert.That(batch.Cases[i].Stats, Is.EqualTo(alone.Stats));
            }
        }
    }

    [Test]
    public void When_LanesTakeNextCasesMidLayer_Expect_BitForBitSameAnswerAsAlone()
    {
        // 2 lanes for 240 cases in 4 blocks of 60, whatever the machine's core count: a lane takes a new case
        // while the other is mid-step.
        long fixedPairs = 0, batched = 0;
        for (int seed = 300; seed < 304; seed++)
        {
            var design = Support.RandomDesign(seed);
            var inputs = Support.RandomInputs(240, design.NodeCount, seed);
            var options = SolverOptions.Dopri5(1e-6) with { ChunkSize = 2, Blocks = 4 };
            double[] times = [design.TEnd / 3, design.Layers[0].TEnd];
            var batch = ReferenceSolver.Solve(design, inputs, options, times);
            // Batches of two fixed cases would cost the slower case of each pair.
            fixedPairs += Enumerable.Range(0, inputs.Length / 2).Sum(j => Math.Max(batch.Cases[2 * j].Stats.RhsEvaluations, batch.Cases[2 * j + 1].Stats.RhsEvaluations));
            batched += batch.BatchedRhsEvaluations;
            for (int i = 0; i < inputs.Length; i++)
            {
                var alone = ReferenceSolver.Solve(design, [inputs[i]], options, times).Cases[0];
                Assert.That(batch.Cases[i].Output, Is.EqualTo(alone.Output), $"seed {seed} case {i}");
                Assert.That(batch.Cases[i].Samples.SelectMany(s => s.State), Is.EqualTo(alone.Samples.SelectMany(s => s.State)));
                Assert.That(batch.Cases[i].Boundaries.SelectMany(s => s.State), Is.EqualTo(alone.Boundaries.SelectMany(s => s.State)));
                Assert.That(batch.Cases[i].Stats, Is.EqualTo(alone.Stats));
            }
        }
        Assert.That(batched, Is.LessThan(fixedPairs), "lanes were refilled");
    }
}
