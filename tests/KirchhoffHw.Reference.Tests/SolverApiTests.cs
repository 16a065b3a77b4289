using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Reference.Tests;

public class SolverApiTests
{
    private static readonly Design Rc = Support.Single(new Conductance(), 2, (0, 1, [(1, 0), (2, 1)], [1.0, 0.5]));

    [Test]
    public void When_InputLongerThanNodes_Expect_ArgumentException() =>
        Assert.That(() => ReferenceSolver.Solve(Rc, [[1, 2, 3]], SolverOptions.Default), Throws.ArgumentException.With.Message.Contains("input 0"));

    [Test]
    public void When_SampleTimeOutsideDesign_Expect_ArgumentOutOfRange() =>
        Assert.That(() => ReferenceSolver.Solve(Rc, [[1, 2]], SolverOptions.Default, [1.5]), Throws.InstanceOf<ArgumentOutOfRangeException>());

    [Test]
    public void When_ToleranceNotPositive_Expect_ArgumentException() =>
        Assert.That(() => ReferenceSolver.Solve(Rc, [[1, 2]], SolverOptions.Dopri5(0)), Throws.ArgumentException.With.Message.Contains("tolerances"));

    [Test]
    public void When_MaxStepsTooSmall_Expect_KirchhoffHwExceptionNamingTheCase()
    {
        var ex = Assert.Throws<KirchhoffHwException>(() => ReferenceSolver.Solve(Rc, [[1, 2], [3, 4]], SolverOptions.Dopri5(1e-12) with { MaxSteps = 3 }));
        Assert.That(ex!.Message, Does.Contain("case 0").And.Contain("MaxSteps"));
    }

    [Test]
    public void When_Cancelled_Expect_OperationCanceled()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.That(() => ReferenceSolver.Solve(Rc, [[1, 2]], SolverOptions.Default, cancel: cts.Token), Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void When_ManyChunks_Expect_ProgressReachesCaseCountAndResultsInInputOrder()
    {
        var discharge = Support.Single(new Conductance(), 1, (0, 1, [(1, 0)], [1.0]));
        var inputs = Enumerable.Range(0, 50).Select(i => new[] { i / 10.0 }).ToArray();
        var reported = new List<int>();
        var result = ReferenceSolver.Solve(discharge, inputs, SolverOptions.Dopri5(1e-8) with { ChunkSize = 8 }, casesDone: new SyncProgress(reported));
        Assert.That(reported.Max(), Is.EqualTo(50));
        for (int i = 0; i < inputs.Length; i++)
            Assert.That(result.Cases[i].Boundaries[0].State[0], Is.EqualTo(i / 10.0 * Math.Exp(-1)).Within(1e-7));
        Assert.That(result.BatchedRhsEvaluations, Is.GreaterThan(0));
    }

    private sealed class SyncProgress(List<int> sink) : IProgress<int>
    {
        public void Report(int value) { lock (sink) sink.Add(value); }
    }
}
