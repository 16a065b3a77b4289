using System.Globalization;
using System.Text.RegularExpressions;
using KirchhoffHw.Cells;
using KirchhoffHw.Model;
using KirchhoffHw.Simulate;
using KirchhoffHw.Simulate.Ngspice;

namespace KirchhoffHw.Cells.Tests;

/// <summary>The v2 output stage's speed: the current it delivers into a node follows a step of its inputs within a small share of the time unit.</summary>
public class OutputStageStepTests
{
    [Test]
    public void When_OutputStageInputSteps_Expect_NodeCurrentSettlesWithinATenthOfTheTimeUnit()
    {
        // the emitted deck of a design at twomoon's fan-out, node voltages held by sources, the cores conducting as in
        // a layer; an independent current steps into the input d1 of node 1's stage (pair 0, 1) by 5 % of the stage's
        // full scale (its width scale k times the unit bias), as a change of its cores' currents would
        var units = new Units(1e-12, 100e-9, 0.02);
        var deck = DeckBench.Deck(units);
        var stage = Regex.Match(deck, @"^Xos0_1 .* kh2_os k=(\S+) ", RegexOptions.Multiline);
        Assert.That(stage.Success, Is.True, "the deck has an output stage on node pair 0, 1");
        double k = double.Parse(stage.Groups[1].Value, CultureInfo.InvariantCulture);
        double step = 0.05 * k * RegulatedFamily.Deck.Bias;
        double tau = units.TimeUnit, t0 = 0.05 * tau, stop = t0 + 0.3 * tau;
        using var sim = new NgspiceShared();
        var result = sim.Run(new SimulationRequest(StepDeck(deck, t0, stop, step), ["i(vhold1)"], TimeSpan.FromMinutes(5)));
        Assert.That(result.Status, Is.EqualTo(SimulationStatus.Ok), result.Message + "\n" + result.Log[^Math.Min(result.Log.Length, 3000)..]);

        var r = StepResponse.Of(result.Time, result.Vectors["i(vhold1)"], t0, tau);
        double change = r.Change, s10 = r.Settled10, s2 = r.Settled2, overshoot = r.Overshoot;
        TestContext.Out.WriteLine($"k = {k:G4}, step {step:G3} A: node current change {Math.Abs(change):G4} A; within 10 % after {s10:F3}, within 2 % after {s2:F3} time units; overshoot {overshoot:P1}");
        Assert.That(Math.Abs(change), Is.EqualTo(step).Within(0.1 * step), "the node receives the input step");
        // the stage sits between every core and its node: a layer lasts half a time unit and the drivers' lines settle to
        // 10 % in a fifth of one, so the stage gets a tenth (and a seventh to 2 %), and may not ring past a tenth of its step
        Assert.That(s10, Is.LessThan(0.1), "within 10 % of the step after a tenth of the time unit");
        Assert.That(s2, Is.LessThan(0.14), "within 2 % after 0.14 time units");
        Assert.That(overshoot, Is.LessThan(0.1), "no ringing beyond a tenth of the step");
    }

    /// <summary>The bench deck with node 1 at 0.1 V, node 2 at 0 V and a current of <paramref name="step"/> A switched into d1_0_1 at <paramref name="t0"/>.</summary>
    private static string StepDeck(string deck, double t0, double stop, double step)
    {
        string T(double x) => DeckBench.T(x);
        return DeckBench.Held(deck, "0.1", "0", stop, $"Istep vdd d1_0_1 PWL(0 0 {T(t0)} 0 {T(t0 + 0.5e-9)} {T(step)})\n");
    }
}
