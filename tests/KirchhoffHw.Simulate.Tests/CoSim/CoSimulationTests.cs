using KirchhoffHw.Generate;
using KirchhoffHw.Import;
using KirchhoffHw.Import.Cases;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;
using KirchhoffHw.Simulate.Ngspice;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Simulate.Tests.CoSim;

internal static class Shared
{
    public static string Models => RepoPaths.Models;
    public static string Designs => RepoPaths.Designs;

    /// <summary>The run's one instance of each backend: a worker started once serves every test.</summary>
    public static ISpiceSimulator Backend(string name) => Backends.Get(name);
}

/// <summary>Simulated equivalence: the deck, run in ngspice, computes what the reference computes.</summary>
public class CoSimulationTests
{
    private static readonly (double C, double Tau)[] Scales = [(1.0, 1.0), (1e-12, 1e-9)];

    // Reference: vectors.json, float64 Dormand-Prince at rtol 1e-10 (independent of our solver); our reference is checked
    // against it in the Reference tests, and here the circuit against our reference at 1e-9.
    [Test, Combinatorial]
    public void When_Twomoon_Is_Simulated_Expect_Every_Case_Within_1e3_Of_The_Reference(
        [Values("shared", "batch")] string backend, [Values(0, 1)] int scale)
    {
        var design = CheckpointImporter.Load(Path.Combine(Shared.Models, "twomoon", "model.pth")).Design
            .With(units: new Units(Scales[scale].C, Scales[scale].Tau));
        var vectors = CaseFile.Read(Path.Combine(Shared.Models, "twomoon", "vectors.json"));
        var report = new Verifier(design, VerifyOptions.Default, Shared.Backend(backend)).Run(vectors.Cases.Select(c => c.Input).ToList());

        Assert.That(report.Cases, Has.Count.EqualTo(16));
        for (int i = 0; i < 16; i++)
        {
            var c = report.Cases[i];
            Assert.That(c.Circuit, Is.Not.Null, c.Message);
            Assert.That(c.Errors!.Initial, Is.LessThan(1e-12), "the input is the initial state");
            for (int b = 0; b < 2; b++)
                Assert.That(KirchhoffHw.Verify.Metrics.MaxAbsDiff(c.Circuit!.Boundaries[b].State, vectors.Cases[i].Boundaries[b].State), Is.LessThanOrEqualTo(1e-3), $"case {i} boundary {b}");
            Assert.That(KirchhoffHw.Verify.Metrics.MaxAbsDiff(c.Circuit!.Output, vectors.Cases[i].Output), Is.LessThanOrEqualTo(1e-3), $"case {i} output");
        }
        Assert.That(report.Pass, Is.True, string.Join("; ", report.Summary.Failures));
        Assert.That(report.Timescale.SimulatedSeconds, Is.EqualTo(Scales[scale].Tau).Within(1e-9).Percent, "read-out at T x time unit");
        Assert.That(report.Range.MaxNodeVolts, Is.GreaterThan(15), "twomoon's boundary states reach about 21 model units");
    }

    [Test]
    public void When_Both_Backends_Run_The_Same_Deck_Expect_The_Same_Waveforms()
    {
        var design = ModelLoader.Load(Path.Combine(Shared.Designs, "spiral.yaml")).Design;
        var inputs = InputReader.Random(2, design.Input.Width, 5, RandomInputKind.StandardNormal);
        var a = new Verifier(design, VerifyOptions.Default, Shared.Backend("shared")).Run(inputs);
        var b = new Verifier(design, VerifyOptions.Default, Shared.Backend("batch")).Run(inputs);
        for (int i = 0; i < inputs.Length; i++)
        {
            Assert.That(a.Cases[i].Circuit!.Output, Is.EqualTo(b.Cases[i].Circuit!.Output));
            Assert.That(a.Cases[i].Circuit!.Boundaries.Select(x => x.State), Is.EqualTo(b.Cases[i].Circuit!.Boundaries.Select(x => x.State)));
        }
    }

    [Test]
    public void When_Devices_And_Merged_Decks_Are_Simulated_Expect_The_Same_Circuit()
    {
        var design = ModelLoader.Load(Path.Combine(Shared.Designs, "spiral.yaml")).Design;
        var inputs = InputReader.Random(1, design.Input.Width, 9, RandomInputKind.StandardNormal);
        var sim = Shared.Backend("shared");
        var devices = new Verifier(design, VerifyOptions.Default with { Spice = SpiceOptions.Default with { Style = DeckStyle.Devices } }, sim).Run(inputs);
        var merged = new Verifier(design, VerifyOptions.Default with { Spice = SpiceOptions.Default with { Style = DeckStyle.Merged } }, sim).Run(inputs);
        Assert.That(devices.Pass && merged.Pass, Is.True, string.Join("; ", devices.Summary.Failures.Concat(merged.Summary.Failures)));
        Assert.That(KirchhoffHw.Verify.Metrics.MaxAbsDiff(devices.Cases[0].Circuit!.Output, merged.Cases[0].Circuit!.Output), Is.LessThan(1e-6));
    }

    /// <summary>An analytic case first: one node discharging through a conductance, v(t) = v0 e^{-g t}.</summary>
    [Test]
    public void When_An_Rc_Node_Discharges_Expect_The_Closed_Form()
    {
        var layer = new Layer(0, 2, new Conductance(), new EdgeList([1], [0]), [0.75]);
        var design = new Design("rc", 1, [layer], new InputMap(1), Readout.AllNodes, new Units(1e-12, 1e-9));
        var report = new Verifier(design, VerifyOptions.Default, Shared.Backend("shared")).Run([[2.0]]);
        Assert.That(report.Cases[0].Circuit!.Output[0], Is.EqualTo(2.0 * Math.Exp(-0.75 * 2)).Within(1e-4));
        Assert.That(report.Cases[0].Circuit!.Samples.Select(s => s.State[0] - 2.0 * Math.Exp(-0.75 * s.T)), Has.All.InRange(-1e-4, 1e-4));
    }
}
