using System.Diagnostics;
using KirchhoffHw.Simulate.Ngspice;

namespace KirchhoffHw.Simulate.Tests;

/// <summary>The shared-library backend's worker process: memory, recycling, crashes, cancellation.</summary>
public sealed class WorkerTests
{
    private static SimulationRequest Request(string deck, double seconds = 30) => new(deck, ["v(n1)"], TimeSpan.FromSeconds(seconds));

    /// <summary>
    /// Measured on ngspice 39 (Debian), this deck: RSS grows about 7 MB per 100 runs with remcirc + destroy all
    /// after each run, about 12 MB without; the bound below leaves room for the allocator's noise.
    /// </summary>
    [Test]
    public void When_HundredRunsInOneWorker_Expect_MemoryGrowthBelow12MB()
    {
        using var sim = new NgspiceShared();
        var rss = new List<long>();
        for (var i = 0; i < 100; i++)
        {
            var result = sim.Run(Request(Decks.Nonlinear));
            Assert.That(result.Status, Is.EqualTo(SimulationStatus.Ok), result.Log);
            rss.Add(sim.LastWorkerRssBytes);
        }
        Assert.That(sim.WorkersStarted, Is.EqualTo(1));
        TestContext.Out.WriteLine($"worker RSS after run 1: {rss[0] / 1e6:F1} MB, run 100: {rss[^1] / 1e6:F1} MB");
        Assert.That(rss[^1] - rss[0], Is.LessThan(12L << 20));
    }

    [Test]
    public void When_RecycleLimitReached_Expect_FreshWorkerAndSameResults()
    {
        using var sim = new NgspiceShared(NgspiceSharedOptions.Default with { RecycleAfterRuns = 3 });
        var results = Enumerable.Range(0, 7).Select(_ => sim.RunOk(Decks.RcDischarge, "v(n1)")).ToList();
        Assert.That(sim.WorkersStarted, Is.EqualTo(3));
        Assert.That(results.Select(r => r.Vectors["v(n1)"][^1]).Distinct().Count(), Is.EqualTo(1));
    }

    [Test]
    public void When_WorkerDiesMidRun_Expect_SimulatorCrashedAndNextRunWorks()
    {
        using var sim = new NgspiceShared();
        sim.RunOk(Decks.RcDischarge, "v(n1)");
        var pid = sim.WorkerProcessId!.Value;
        using var started = new ManualResetEventSlim();
        sim.RunStarted += started.Set;
        var run = Task.Run(() => sim.Run(Request(Decks.Endless)));
        // the endless deck is with the worker: a kill now is a death mid-run, whatever the machine's load
        Assert.That(started.Wait(TimeSpan.FromMinutes(5)), Is.True, "the run reached the worker");
        Process.GetProcessById(pid).Kill(); // what a segfault or abort() inside ngspice looks like from outside
        var crashed = run.Wait(TimeSpan.FromMinutes(5)) ? run.Result : null;
        Assert.That(crashed?.Status, Is.EqualTo(SimulationStatus.SimulatorCrashed));
        Assert.That(crashed!.Message, Does.Contain("died").And.Contain("signal 9"));
        Assert.That(sim.RunOk(Decks.RcDischarge, "v(n1)").Time, Is.Not.Empty);
        Assert.That(sim.WorkerProcessId, Is.Not.EqualTo(pid));
    }

    [Test]
    public void When_NgspiceAsksToExit_Expect_SimulatorCrashedAndNextRunWorks()
    {
        using var sim = new NgspiceShared();
        // A .control block is outside the request contract, but it is the one way to make ngspice call
        // ControlledExit on demand: "quit" asks the host to unload the library.
        const string quitting = "quit\nC1 n1 0 1e-12 ic=1\nR1 n1 0 1e3\n.tran 1e-11 5e-9 uic\n.control\nquit\n.endc\n.end\n";
        var result = sim.Run(Request(quitting));
        Assert.That(result.Status, Is.EqualTo(SimulationStatus.SimulatorCrashed));
        Assert.That(result.Message, Does.Contain("requested exit"));
        Assert.That(sim.RunOk(Decks.RcDischarge, "v(n1)").Time, Is.Not.Empty);
        Assert.That(sim.WorkersStarted, Is.EqualTo(2));
    }

    [TestCase("shared")]
    [TestCase("batch")]
    public void When_Cancelled_Expect_OperationCanceledAndBackendUsable(string backend)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var sim = Backends.Get(backend);
        // the endless deck never ends on its own: returning at all is the cancellation taking effect
        Assert.That(() => sim.Run(Request(Decks.Endless), cancel.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(sim.RunOk(Decks.RcDischarge, "v(n1)").Time, Is.Not.Empty);
    }
}
