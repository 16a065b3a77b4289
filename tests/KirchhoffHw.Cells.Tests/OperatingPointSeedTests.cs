using System.Text.RegularExpressions;
using KirchhoffHw.Generate;
using KirchhoffHw.Generate.Dialects.Ngspice;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;
using KirchhoffHw.Simulate;
using KirchhoffHw.Simulate.Ngspice;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Cells.Tests;

/// <summary>A MOS deck's operating point, solved once and handed to every case as `.nodeset` (<see cref="OperatingPointSeed"/>).</summary>
public class OperatingPointSeedTests
{
    private static readonly Design ThreeTanh = Designs.ThreeTanh(new Units(1e-12, 100e-9, 0.02));

    private static SpiceOptions Spice(Design design) =>
        new Lowered(Fidelity.Transistor, design, new RegulatedNetlist(Shared.Tech), null).Apply(SpiceOptions.Default);

    private static VerifyReport Verify(Design design, double[][] inputs, bool seed, string cache)
    {
        var options = VerifyOptions.Default with
        {
            Circuit = design,
            Fidelity = CircuitFidelity.Of(Fidelity.Transistor, Shared.Tech.Name, Shared.Tech.Corner),
            Spice = Spice(design),
            Reference = SolverOptions.Dopri5(1e-9),
            SeedOperatingPoint = seed,
            CacheDir = cache,
        };
        return new Verifier(design, options, () => new NgspiceBatch(), 1).Run(inputs);
    }

    private static string Seeded(Design design, string cache, double[] input)
    {
        using var simulator = new NgspiceBatch();
        var spice = OperatingPointSeed.Apply(design, Spice(design), [], new NgspiceEmitter(), simulator, TimeSpan.FromMinutes(5), cache);
        return new NgspiceEmitter().FormatDeck(design, spice with { Input = input });
    }

    /// <summary>ngspice's own count of Newton iterations over the run (`.options acct`).</summary>
    private static int Iterations(string deck)
    {
        deck = Regex.Replace(deck, @"^\.options ", ".options acct ", RegexOptions.Multiline);
        var run = new NgspiceBatch().Run(new SimulationRequest(deck, ["v(n1)"], TimeSpan.FromMinutes(5)));
        Assert.That(run.IsOk, run.Message);
        var m = Regex.Match(run.Log, @"Total iterations\s*=\s*(\d+)");
        Assert.That(m.Success, "ngspice printed its iteration count");
        return int.Parse(m.Groups[1].Value);
    }

    [Test]
    public void When_MosDeckSeeded_Expect_FewerNewtonIterations_AndTheSameVerdict()
    {
        using var cache = new Scratch();
        double[][] inputs = [[0.5, -0.4], [-0.3, 0.2]];
        var plain = Verify(ThreeTanh, inputs, seed: false, cache.Path);
        Assert.That(Directory.Exists(Path.Combine(cache.Path, "operating-points")), Is.False, "no seed when switched off");
        var seeded = Verify(ThreeTanh, inputs, seed: true, cache.Path);
        var files = Directory.GetFiles(Path.Combine(cache.Path, "operating-points"));
        Assert.That(files, Has.Length.EqualTo(1), "one seed per circuit, whatever the inputs");
        for (int i = 0; i < inputs.Length; i++)
        {
            Assert.That(seeded.Cases[i].Circuit, Is.Not.Null, seeded.Cases[i].Message);
            // the same circuit solved from another starting point: equal within the deck's own error control
            Assert.That(seeded.Cases[i].Circuit!.Output, Is.EqualTo(plain.Cases[i].Circuit!.Output).Within(1e-4));
        }

        // the seed is the circuit's bias point at the zero input: every net but the input nodes, which .ic holds
        var deck = Seeded(ThreeTanh, cache.Path, inputs[1]);
        var nets = Regex.Matches(deck, @"^\.nodeset v\(([^)]+)\)=", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.That(nets, Has.Count.GreaterThan(10 * ThreeTanh.NodeCount));
        Assert.That(nets, Has.None.Matches(@"^n\d+$"), "no guess for a node its .ic holds");
        Assert.That(nets, Has.Some.Contains("."), "subcircuit nets are seeded too");
        int before = Iterations(new NgspiceEmitter().FormatDeck(ThreeTanh, Spice(ThreeTanh) with { Input = inputs[1] }));
        int after = Iterations(deck);
        TestContext.Out.WriteLine($"{nets.Count} nets seeded; Newton iterations {before} -> {after}");
        Assert.That(after, Is.LessThan(before), "the seeded operating point converges in fewer iterations");
    }

    [Test]
    public void When_SeedSolvedInProcessOrInBatch_Expect_TheSameBiasPoint()
    {
        using var a = new Scratch();
        using var b = new Scratch();
        var spice = Spice(ThreeTanh);
        using var batchSimulator = new NgspiceBatch();
        using var sharedSimulator = new NgspiceShared();
        var batch = OperatingPointSeed.Apply(ThreeTanh, spice, [], new NgspiceEmitter(), batchSimulator, TimeSpan.FromMinutes(5), a.Path).NodeSets;
        var shared = OperatingPointSeed.Apply(ThreeTanh, spice, [], new NgspiceEmitter(), sharedSimulator, TimeSpan.FromMinutes(5), b.Path).NodeSets;
        Assert.That(shared.Select(n => n.Net), Is.EqualTo(batch.Select(n => n.Net)));
        Assert.That(shared.Select(n => n.Volts), Is.EqualTo(batch.Select(n => n.Volts)).Within(1e-9));
    }

    [Test]
    public void When_TheCallerOwnsTheSimulator_Expect_TheSeedSolvedOnIt_AndTheCasesRunOnItToo()
    {
        // a fresh cache, so the seed is solved: on the caller's simulator, which must still serve every case after it
        using var cache = new Scratch();
        var design = ThreeTanh;
        var options = VerifyOptions.Default with
        {
            Circuit = design,
            Fidelity = CircuitFidelity.Of(Fidelity.Transistor, Shared.Tech.Name, Shared.Tech.Corner),
            Spice = Spice(design),
            Reference = SolverOptions.Dopri5(1e-9),
            CacheDir = cache.Path,
        };
        using var simulator = new NgspiceShared();
        var report = new Verifier(design, options, simulator).Run([[0.5, -0.4], [-0.3, 0.2]]);
        Assert.That(Directory.GetFiles(Path.Combine(cache.Path, "operating-points")), Has.Length.EqualTo(1), "the seed was solved");
        Assert.That(report.Cases.Select(c => c.Circuit is null ? c.Message : "ok"), Is.All.EqualTo("ok"));
        Assert.That(simulator.WorkersStarted, Is.EqualTo(1), "one worker served the seed and both cases");
    }

    [Test]
    public void When_TheCachedSeedIsDamagedOrHostile_Expect_ItSolvedAgain_AndNothingOfItInTheDeck()
    {
        using var cache = new Scratch();
        Seeded(ThreeTanh, cache.Path, [0.1, 0.1]);
        var file = Directory.GetFiles(Path.Combine(cache.Path, "operating-points")).Single();
        var good = File.ReadAllText(file);
        foreach (var bad in new[] { "x1.a 0.1\n.control\nshell rm -rf /\n", "x1.a\n", "x1.a NaN\n", "x1.a 0.1 extra\n", "" })
        {
            File.WriteAllText(file, bad);
            var deck = Seeded(ThreeTanh, cache.Path, [0.1, 0.1]);
            Assert.That(deck, Does.Not.Contain(".control").And.Not.Contain("shell"));
            Assert.That(File.ReadAllText(file), Is.EqualTo(good), $"a cache entry '{bad.Trim()}' is solved again");
        }
    }

    [Test]
    public void When_ANodeSetNetIsNotASimulatorName_Expect_TheDeckRefused()
    {
        var spice = Spice(ThreeTanh) with { NodeSets = [new NodeSet("x1.a\n.control", 0.1)] };
        Assert.Throws<ArgumentException>(() => new NgspiceEmitter().FormatDeck(ThreeTanh, spice));
        Assert.That(new NgspiceEmitter().FormatDeck(ThreeTanh, spice with { NodeSets = [new NodeSet("xdrv0.am", 0.25)] }),
            Does.Contain("\n.nodeset v(xdrv0.am)=0.25\n"));
    }

    private sealed class Scratch : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("kh-opseed-").FullName;
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
