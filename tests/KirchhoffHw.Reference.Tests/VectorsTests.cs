using KirchhoffHw.Import;
using KirchhoffHw.Import.Cases;

namespace KirchhoffHw.Reference.Tests;

/// <summary>
/// The authors' checkpoints against /work/shared/models/*/vectors.json, every layer-boundary state included.
/// Bounds are |ours - vectors| &lt;= Abs + Rel * |vectors|, set from evidence rather than wished for:
/// - twomoon: our Dopri5 reproduces scipy's solve_ivp RK45 (same error 3.68e-2 and 1120 evaluations at 1e-3,
///   7.95e-9 and 9184 vs our 9172 at 1e-9), so 1e-3 cannot do better than ~4e-2 against these vectors.
/// - mnist: the vectors are scipy's RK45 at their stated rtol 1e-8, atol 1e-10 (rerun at those settings it
///   reproduces their layer-0 states to 7e-9), and they are not converged: scipy at 1e-10/1e-12 and at
///   1e-12/1e-14 agree within 2.6e-7 (layer 0) and 7.8e-5 (layer 1, states up to 15,320), and our Dopri5 at
///   1e-10/1e-12 lands within 1.5e-7 and 4.7e-5 of the latter, yet all of them sit up to 7.8e-6 (layer 0) and
///   1.4e-3 (layer 1) from the vectors. ReLU kinks also defeat the 5(4) error estimate, so error shrinks slowly
///   with tolerance: at rtol = atol = 1e-9 we are up to 1.3e-5 (layer 0) and 4.1e-3 (layer 1) from the vectors.
///   At 1e-3 the hidden nodes are off by up to tens of volts, yet the logits keep their order.
/// </summary>
public class VectorsTests
{
    [TestCase("twomoon", 1e-9, 1e-6, 0.0)]
    [TestCase("twomoon", 1e-3, 5e-2, 0.0)]
    [TestCase("mnist", 1e-9, 1e-4, 1e-3)]
    public void When_CheckpointSolved_Expect_VectorsMatch(string model, double tol, double abs, double rel)
    {
        var (set, result) = Solve(model, tol);
        double worst = 0;
        for (int i = 0; i < set.Cases.Count; i++)
        {
            var (expected, actual) = (set.Cases[i], result.Cases[i]);
            Assert.That(actual.Boundaries, Has.Count.EqualTo(expected.Boundaries.Count));
            var pairs = expected.Boundaries.Zip(actual.Boundaries).SelectMany(b =>
            {
                Assert.That(b.Second.T, Is.EqualTo(b.First.T).Within(1e-12));
                return b.First.State.Zip(b.Second.State);
            }).Concat(expected.Output.Zip(actual.Output));
            foreach (var (e, a) in pairs) worst = Math.Max(worst, Math.Abs(a - e) / (abs + rel * Math.Abs(e)));
        }
        TestContext.Out.WriteLine($"{model} tol {tol}: worst error / bound {worst:F3} over {set.Cases.Count} cases, {result.Total}");
        Assert.That(worst, Is.LessThanOrEqualTo(1.0));
    }

    [Test]
    public void When_MnistSolvedAtTrainingTolerance_Expect_SameClassesAndCloseLogits()
    {
        var (set, result) = Solve("mnist", 1e-3);
        for (int i = 0; i < set.Cases.Count; i++)
        {
            var (e, a) = (set.Cases[i].Output, result.Cases[i].Output);
            Assert.That(Array.IndexOf(a, a.Max()), Is.EqualTo(Array.IndexOf(e, e.Max())), $"case {i} class");
            double spread = e.Max() - e.Min();
            Assert.That(Support.MaxAbsDiff(a, e), Is.LessThan(0.1 * spread), $"case {i} logits");
        }
    }

    private static (CaseSet, ReferenceResult) Solve(string model, double tol)
    {
        var dir = Path.Combine(Support.ModelsDirectory, model);
        var design = CheckpointImporter.Load(Path.Combine(dir, "model.pth")).Design;
        var set = CaseFile.Read(Path.Combine(dir, "vectors.json"));
        Assert.That(set.Cases, Is.Not.Empty);
        return (set, ReferenceSolver.Solve(design, set.Cases.Select(c => c.Input).ToArray(), SolverOptions.Dopri5(tol)));
    }
}
