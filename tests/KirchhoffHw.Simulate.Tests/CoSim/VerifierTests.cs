using KirchhoffHw.Import;
using KirchhoffHw.Import.Cases;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;
using KirchhoffHw.Simulate.Ngspice;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Simulate.Tests.CoSim;

public class VerifierTests
{
    private static Design Spiral => ModelLoader.Load(Path.Combine(Shared.Designs, "spiral.yaml")).Design;

    /// <summary>Wraps the run's shared backend (which outlives it) and tampers with or counts its runs.</summary>
    private sealed class Probe(Func<int, SimulationResult, SimulationResult>? edit = null) : ISpiceSimulator
    {
        private readonly ISpiceSimulator inner = Backends.Shared;
        public int Runs { get; private set; }
        public string Name => inner.Name;
        public SimulationResult Run(SimulationRequest request, CancellationToken cancel = default) =>
            (edit ?? ((_, r) => r))(Runs++, inner.Run(request, cancel));
        public void Dispose() { }
    }

    [Test]
    public void When_The_Simulator_Drops_The_Initial_Conditions_Expect_The_Case_To_Fail_On_That_First()
    {
        using var sim = new Probe((_, r) =>
        {
            var zeroed = r.Vectors.ToDictionary(kv => kv.Key, kv => kv.Value.Select((v, i) => i == 0 ? 0.0 : v).ToArray(), StringComparer.OrdinalIgnoreCase);
            return r with { Vectors = zeroed };
        });
        var report = new Verifier(Spiral, VerifyOptions.Default, sim).Run([[0.8, -0.4, 0.3]]);
        Assert.That(report.Pass, Is.False);
        Assert.That(report.Cases[0].Failures[0], Does.StartWith("initial state differs from the input"));
    }

    [Test]
    public void When_One_Case_Fails_To_Simulate_Expect_Its_Verdict_To_Say_So_And_The_Others_To_Run()
    {
        using var sim = new Probe((i, r) => i == 1
            ? r with { Status = SimulationStatus.ConvergenceFailure, Message = "timestep too small", Time = [] }
            : r);
        var inputs = InputReader.Random(3, 3, 1, RandomInputKind.StandardNormal);
        var report = new Verifier(Spiral, VerifyOptions.Default, sim).Run(inputs);
        Assert.That(report.Cases.Select(c => c.Status), Is.EqualTo(new[] { SimulationStatus.Ok, SimulationStatus.ConvergenceFailure, SimulationStatus.Ok }));
        Assert.That(report.Cases[1].Pass, Is.False);
        Assert.That(report.Cases[0].Pass && report.Cases[2].Pass, Is.True);
        Assert.That(report.Pass, Is.False);
        Assert.That(report.Summary.Failures[0], Does.Contain("1 of 3 cases did not simulate"));
    }

    /// <summary>A real divergence: dv/dt = relu(1000 v) overflows from v(0) = 1, while v(0) = 0 stays put.</summary>
    [Test]
    public void When_A_Design_Does_Not_Converge_Expect_A_Failed_Verdict_And_The_Run_To_Go_On()
    {
        var layer = new Layer(0, 1, new ShiftRelu2(), new EdgeList([0], [1]), [0, 1000, 0]);
        var runaway = new Design("runaway", 1, [layer], new InputMap(1), Readout.AllNodes);
        var report = new Verifier(runaway, VerifyOptions.Default, Backends.Shared).Run([[1.0], [0.0]]);
        Assert.That(report.Cases[0].Status, Is.EqualTo(SimulationStatus.ConvergenceFailure));
        Assert.That(report.Cases[0].Failures, Has.Some.Contains("Timestep too small"));
        Assert.That(report.Cases[0].Failures, Has.Some.StartsWith("reference:"), "the reference cannot follow it either");
        Assert.That(report.Cases[1].Pass, Is.True, string.Join("; ", report.Cases[1].Failures));
        Assert.That(report.Pass, Is.False);
    }

    [Test]
    public void When_Cases_Run_In_Parallel_Expect_The_Same_Verdicts_In_Input_Order()
    {
        var inputs = InputReader.Random(4, 3, 6, RandomInputKind.StandardNormal);
        var serial = new Verifier(Spiral, VerifyOptions.Default, Backends.Shared).Run(inputs);
        var parallel = new Verifier(Spiral, VerifyOptions.Default, () => new NgspiceShared(), 2).Run(inputs);
        Assert.That(parallel.Cases.Select(c => c.Index), Is.EqualTo(new[] { 0, 1, 2, 3 }));
        for (int i = 0; i < inputs.Length; i++)
            Assert.That(parallel.Cases[i].Circuit!.Output, Is.EqualTo(serial.Cases[i].Circuit!.Output));
    }

    [Test]
    public void When_Cases_Share_The_Cores_Expect_Each_Simulator_Given_Its_Share_Of_Threads()
    {
        var inputs = InputReader.Random(4, 3, 6, RandomInputKind.StandardNormal);
        foreach (var (jobs, cases) in new[] { (2, 4), (2, 1), (1, 4) })
        {
            var seen = new System.Collections.Concurrent.ConcurrentBag<int?>();
            var report = new Verifier(Spiral, VerifyOptions.Default, () => new Recorder(seen), jobs).Run(inputs[..cases]);
            Assert.That(report.Cases.All(c => c.Circuit is not null), Is.True);
            int running = Math.Min(jobs, cases);
            Assert.That(seen, Is.All.EqualTo(Math.Max(1, Environment.ProcessorCount / running)), $"{jobs} jobs, {cases} cases");
        }
    }

    /// <summary>Records each request's thread count, then runs it on the shared backend.</summary>
    private sealed class Recorder(System.Collections.Concurrent.ConcurrentBag<int?> seen) : ISpiceSimulator
    {
        public string Name => Backends.Shared.Name;
        public SimulationResult Run(SimulationRequest request, CancellationToken cancel = default)
        {
            seen.Add(request.Threads);
            lock (Backends.Shared) return Backends.Shared.Run(request, cancel);
        }
        public void Dispose() { }
    }

    [Test]
    public void When_A_Run_Asks_For_One_Thread_Expect_Ngspice_Told_So_And_The_Same_Waveforms()
    {
        var deck = new Generate.Dialects.Ngspice.NgspiceEmitter().FormatDeck(Spiral, Generate.SpiceOptions.Default with { Input = [0.3, -0.2, 0.1] });
        var root = Directory.CreateTempSubdirectory("kh-threads-").FullName;
        try
        {
            using var batch = new NgspiceBatch(NgspiceBatchOptions.Default with { WorkRoot = root, KeepFiles = true });
            var one = batch.Run(new SimulationRequest(deck, ["v(n1)"], TimeSpan.FromMinutes(2)) { Threads = 1 });
            Assert.That(one.IsOk, one.Message);
            var init = Directory.GetFiles(root, ".spiceinit", SearchOption.AllDirectories).Single();
            Assert.That(File.ReadAllText(init), Is.EqualTo("set num_threads=1\n"), "ngspice reads it from its working folder before the circuit sets up");
            var plain = Backends.Shared.Run(new SimulationRequest(deck, ["v(n1)"], TimeSpan.FromMinutes(2)));
            var shared = Backends.Shared.Run(new SimulationRequest(deck, ["v(n1)"], TimeSpan.FromMinutes(2)) { Threads = 1 });
            Assert.That(shared.Vectors["v(n1)"], Is.EqualTo(plain.Vectors["v(n1)"]), "threads change the speed, never the answer");
            Assert.That(one.Vectors["v(n1)"][^1], Is.EqualTo(plain.Vectors["v(n1)"][^1]).Within(1e-12));
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Test]
    public void When_Ngspice_Is_Missing_Expect_A_Verdict_That_Says_How_To_Install_It()
    {
        using var sim = new NgspiceBatch(NgspiceBatchOptions.Default with { Executable = "/nonexistent/ngspice" });
        var report = new Verifier(Spiral, VerifyOptions.Default, sim).Run([[0.1, 0.2, 0.3]]);
        Assert.That(report.Cases[0].Status, Is.EqualTo(SimulationStatus.SimulatorMissing));
        Assert.That(report.Cases[0].Message, Does.Contain("apt-get install ngspice"));
    }

    [Test]
    public void When_A_Run_Is_Resumed_Expect_Finished_Cases_Not_To_Be_Simulated_Again()
    {
        var journal = Path.Combine(Path.GetTempPath(), $"kh-journal-{Guid.NewGuid():N}.jsonl");
        try
        {
            var inputs = InputReader.Random(3, 3, 2, RandomInputKind.StandardNormal);
            using var first = new Probe();
            var a = new Verifier(Spiral, VerifyOptions.Default, first).Run(inputs[..2], journal);
            Assert.That(first.Runs, Is.EqualTo(2));

            using var second = new Probe();
            var b = new Verifier(Spiral, VerifyOptions.Default, second).Run(inputs, journal);
            Assert.That(second.Runs, Is.EqualTo(1), "only the case the interrupted run had not finished");
            Assert.That(b.Cases[0].Circuit!.Output, Is.EqualTo(a.Cases[0].Circuit!.Output));

            using var changed = new Probe();
            new Verifier(Spiral, VerifyOptions.Default with { Tolerance = 0.5 }, changed).Run(inputs, journal);
            Assert.That(changed.Runs, Is.EqualTo(3), "changed options never reuse a journal");
        }
        finally { File.Delete(journal); }
    }

    [Test]
    public void When_A_Verdict_File_Is_Written_Expect_The_Vectors_Json_Shape_In_Model_Units()
    {
        var path = Path.Combine(Path.GetTempPath(), $"kh-verdict-{Guid.NewGuid():N}.json");
        try
        {
            var design = Spiral.With(units: new Units(1e-12, 1e-9, 0.5));
            int points = 0;
            using var sim = new Probe((_, r) => { points = r.Time.Length; return r; });
            var report = new Verifier(design, VerifyOptions.Default, sim).Run([[0.5, -0.5, 0.25]]);
            VerdictJson.Save(path, report);
            Assert.That(points, Is.GreaterThan(design.Layers.Count));
            Assert.That(VerdictJson.Load(path).Cases[0].TimePoints, Is.EqualTo(points), "the verdict keeps the simulator's time point count");
            var set = CaseFile.Read(path);
            Assert.That(set.Cases[0].Input, Is.EqualTo(new[] { 0.5, -0.5, 0.25 }));
            Assert.That(set.Cases[0].Boundaries.Select(b => b.T), Is.EqualTo(design.Layers.Select(l => l.TEnd)));
            Assert.That(set.Cases[0].Output, Is.EqualTo(report.Cases[0].Circuit!.Output));
            // Model units: the circuit swings half as many volts as model units at 0.5 V per unit.
            Assert.That(report.Range.MaxNodeVolts, Is.GreaterThanOrEqualTo(0.5 * report.Cases[0].Circuit!.Boundaries.Max(b => b.State.Max(Math.Abs)) * (1 - 1e-9)));
            Assert.That(report.Range.MaxNodeVolts, Is.LessThan(0.75 * report.Cases[0].Circuit!.Boundaries.Max(b => b.State.Max(Math.Abs)) + 1));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void When_Points_Are_Far_Apart_Expect_Energy_Distance_Positive_And_Zero_For_Identical_Samples()
    {
        double[][] a = [[0, 0], [1, 0], [0, 1]];
        double[][] b = [[5, 5], [6, 5], [5, 6]];
        Assert.That(Metrics.EnergyDistance(a, a), Is.EqualTo(0).Within(1e-12));
        Assert.That(Metrics.EnergyDistance(a, b), Is.EqualTo(12.718606497641153).Within(1e-12), "value from an independent Python computation");
        Assert.That(Metrics.Margin([1, 3, 2]), Is.EqualTo(1));
        Assert.That(Metrics.ArgMax([1, 3, 2]), Is.EqualTo(1));
    }
}
