using KirchhoffHw.Generate;
using KirchhoffHw.Import;
using KirchhoffHw.Import.Cases;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;
using KirchhoffHw.Simulate.Ngspice;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Simulate.Tests.CoSim;

/// <summary>
/// The full mnist deck (460,136 devices as 56,570 merged sources at 1 pF / 1 ns), checked through its right-hand side:
/// with each layer shortened to 1e-4 time units, the state moves by dt x (KCL currents) + O(dt^2), so ngspice's
/// increments over each slice must match the reference's. Every device law, every merged pwl table and both phase
/// gates take part; a whole mnist transient at the accuracy the issue asks for takes ngspice far longer than a test may.
/// </summary>
public class MnistDeckTests
{
    [Test]
    public void When_The_Mnist_Deck_Runs_Briefly_Expect_Its_Currents_To_Match_The_Reference()
    {
        const double dt = 1e-4;
        var full = CheckpointImporter.Load(RepoPaths.Model("mnist", "model.pth")).Design.With(units: new Units(1e-12, 1e-9));
        var layers = full.Layers.Select((l, i) => new Layer(i * dt, (i + 1) * dt, l.Model, l.Edges, l.Theta)).ToList();
        var design = full.With(layers: layers);
        var input = CaseFile.Read(RepoPaths.Model("mnist", "vectors.json")).Cases[0].Input;

        using var sim = new NgspiceShared();
        var options = VerifyOptions.Default with
        {
            // The deck's currents are under test, not the error control derived from a reference: the fixed one keeps
            // this check as it was written.
            Spice = SpiceOptions.Default with { MaxStepFraction = 0.25, Accuracy = DeckAccuracy.Default },
            SamplesPerLayer = 0,
            CaseTimeout = TimeSpan.FromMinutes(10),
        };
        var report = new Verifier(design, options, sim).Run([input]);
        var circuit = report.Cases[0].Circuit;
        Assert.That(circuit, Is.Not.Null, report.Cases[0].Message);
        Assert.That(report.Cases[0].Errors!.Initial, Is.LessThan(1e-12));

        var reference = ReferenceSolver.Solve(design, [input], SolverOptions.Dopri5(1e-12)).Cases[0];
        var before = new double[design.NodeCount];
        design.Input.Apply(input, before);
        for (int b = 0; b < 2; b++)
        {
            var c = circuit!.Boundaries[b].State;
            var r = reference.Boundaries[b].State;
            double scale = 0, worst = 0;
            for (int k = 0; k < c.Length; k++)
            {
                scale = Math.Max(scale, Math.Abs(r[k] - before[k]));
                worst = Math.Max(worst, Math.Abs((c[k] - before[k]) - (r[k] - before[k])));
            }
            Assert.That(scale, Is.GreaterThan(0), "the slice must move the state");
            Assert.That(worst, Is.LessThanOrEqualTo(1e-3 * scale), $"layer {b}: increments differ by {worst:G3} of {scale:G3}");
            before = r;
        }
    }
}
