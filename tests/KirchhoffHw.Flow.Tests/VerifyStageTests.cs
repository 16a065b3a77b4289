using KirchhoffHw.Cells;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Flow.Tests;

/// <summary>The verify stage's case-runner seam: cases run as slices elsewhere, each with its own journal, and merged.</summary>
public class VerifyStageTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), $"kh-verifystage-{Guid.NewGuid():N}"));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// Runs the cases as an array job would: each slice in its own verifier (another process, in a real scheduler)
    /// writing its own journal, then reads the journals back and hands their verdicts to the stage.
    /// </summary>
    private sealed class SlicedRunner(Func<Verifier> task, ReferenceRun reference, string directory, int slices) : ICaseRunner
    {
        public List<string> Journals { get; } = [];

        public void Run(CaseBatch batch, Action<CaseVerdict> finished, CancellationToken cancel)
        {
            var parts = batch.Pending.Select((c, i) => (c, i)).GroupBy(x => x.i % slices, x => x.c).ToList();
            foreach (var part in parts)
            {
                var journal = Path.Combine(directory, $"task{part.Key}.jsonl");
                Journals.Add(journal);
                task().Simulate(reference, journal, part.Select(c => c.Index).ToHashSet(), cancel: cancel);
            }
            var merged = Journals.SelectMany(j => Verifier.ReadJournal(j)).ToDictionary(kv => kv.Key, kv => kv.Value);
            foreach (var c in batch.Pending) finished(merged[c.Key]);
        }
    }

    [Test]
    public void When_Cases_Run_As_Slices_With_Their_Own_Journals_Expect_The_Verdicts_Of_A_Local_Run()
    {
        var design = Designs.Tiny;
        double[][] inputs = [[0.8, -0.3, 0.1], [0.2, 0.5, -0.6], [-0.4, 0.1, 0.9]];
        var options = VerifyOptions.Default;
        var reference = ReferenceRun.Solve(design, inputs, options.Reference, Verifier.SampleTimes(design, options));
        var circuit = Lowering.Lower(design, Fidelity.Ideal, null);
        var request = new VerifyRequest { Design = design, Circuit = circuit, Reference = reference, Options = options };

        var local = new VerifyStage(CoSimBackend.NgspiceShared, new LocalCaseRunner(2)).Run(request);
        var sliced = new SlicedRunner(() => new Verifier(design, VerifyStage.OptionsFor(circuit, options), CoSimBackend.NgspiceShared, new LocalCaseRunner(1)),
            reference, _dir, slices: 2);
        var verdictPath = Path.Combine(_dir, "verdict.json");
        var merged = new VerifyStage(CoSimBackend.NgspiceShared, sliced).Run(request with { VerdictPath = verdictPath });

        Assert.That(sliced.Journals, Has.Count.EqualTo(2));
        Assert.That(sliced.Journals.Sum(j => File.ReadAllLines(j).Length), Is.EqualTo(inputs.Length), "each case ran once, in one slice");
        Assert.That(merged.Pass, Is.EqualTo(local.Pass).And.True);
        Assert.That(merged.Cases.Select(c => c.Index), Is.EqualTo(new[] { 0, 1, 2 }));
        for (int i = 0; i < inputs.Length; i++)
            Assert.That(merged.Cases[i].Circuit!.Output, Is.EqualTo(local.Cases[i].Circuit!.Output), $"case {i}");
        Assert.That(File.Exists(verdictPath), Is.True);
        Assert.That(File.Exists(VerifyStage.JournalOf(verdictPath)), Is.False, "the run's own journal is removed once the verdict is written");
    }

    [Test]
    public void When_The_Reference_Was_Solved_With_Other_Options_Expect_The_Stage_To_Refuse_It()
    {
        var design = Designs.Tiny;
        var reference = ReferenceRun.Solve(design, [[0.1, 0.2, 0.3]], SolverOptions.Dopri5(1e-6), Verifier.SampleTimes(design, VerifyOptions.Default));
        var request = new VerifyRequest { Design = design, Circuit = Lowering.Lower(design, Fidelity.Ideal, null), Reference = reference };
        Assert.That(() => new VerifyStage(CoSimBackend.NgspiceShared, new LocalCaseRunner(1)).Run(request), Throws.ArgumentException.With.Message.Contains("solver options"));
    }
}
