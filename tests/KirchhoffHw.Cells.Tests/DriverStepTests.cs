using System.Globalization;
using KirchhoffHw.Cells;
using KirchhoffHw.Model;
using KirchhoffHw.Simulate;
using KirchhoffHw.Simulate.Ngspice;

namespace KirchhoffHw.Cells.Tests;

/// <summary>The v2 input driver's speed: its lines follow a step of their node within a small share of the time unit.</summary>
public class DriverStepTests
{
    /// <summary>Node 1's voltage before and after the step (V): inside the swing, both lines away from their ends.</summary>
    private const double Before = 0.10, After = 0.15;

    [Test]
    public void When_NodeStepsAtTwomoonsFanOut_Expect_DriverLinesSettleWithinAFifthOfTheTimeUnit()
    {
        // ten saturated devices per node at 150 per volt load each driver as twomoon's fan-out does (scale ~36); the
        // emitted deck with node 1 held by a source that steps 50 mV in 0.5 ns, node 2 held at 0 V, and a unit copy of
        // each of node 1's lines, drain at 0 V as in a cell, as the probe
        var units = new Units(1e-12, 100e-9, 0.02);
        var deck = DeckBench.Deck(units);
        double tau = units.TimeUnit, t0 = 0.05 * tau, stop = t0 + 0.4 * tau;
        using var sim = new NgspiceShared();
        var result = sim.Run(new SimulationRequest(StepDeck(deck, t0, stop), ["i(vprobep)", "i(vprobem)"], TimeSpan.FromMinutes(5)));
        Assert.That(result.Status, Is.EqualTo(SimulationStatus.Ok), result.Message + "\n" + result.Log[^Math.Min(result.Log.Length, 3000)..]);

        foreach (var line in new[] { "p", "m" })
        {
            var r = StepResponse.Of(result.Time, result.Vectors[$"i(vprobe{line})"], t0, tau);
            double y0 = r.Initial, yf = r.Final, step = r.Change, s10 = r.Settled10, s2 = r.Settled2, overshoot = r.Overshoot;
            TestContext.Out.WriteLine($"line {line}: {-y0:G4} -> {-yf:G4} A; within 10 % after {s10:F3}, within 2 % after {s2:F3} time units; overshoot {overshoot:P1}");
            Assert.That(Math.Abs(step), Is.GreaterThan(0.02 * Math.Abs(yf)), "the step moves the line");
            // a layer lasts half a time unit and a node's law can change its rate several times within it (twomoon's
            // nodes accelerate from 7 to 21 units per time unit in a tenth of a unit): a line still 10 % off its node
            // after a fifth of a unit, or ringing past half its step, bends the trajectory it feeds back into
            Assert.That(s10, Is.LessThan(0.2), "within 10 % of the step after a fifth of the time unit");
            Assert.That(s2, Is.LessThan(0.3), "within 2 % after 0.3 time units");
            Assert.That(overshoot, Is.LessThan(0.5), "no ringing beyond half the step");
        }
    }

    /// <summary>The bench deck with node 1 stepping from <see cref="Before"/> to <see cref="After"/> in 0.5 ns at <paramref name="t0"/> and unit copies of its lines as probes.</summary>
    private static string StepDeck(string deck, double t0, double stop)
    {
        var input = RegulatedFamily.Units.First(u => u.Name == RegulatedFamily.Deck.InputUnit).Input!;
        static string T(double x) => DeckBench.T(x);
        string w = T(input.CopyWidth), l = T(input.CopyLength), n = Shared.Tech.Models.Nmos;
        return DeckBench.Held(deck, $"PWL(0 {T(Before)} {T(t0)} {T(Before)} {T(t0 + 0.5e-9)} {T(After)})", "0", stop,
            $"Mprobep xprobep np_1 vss vss {n} w={w} l={l}\nVprobep xprobep 0 0\nMprobem xprobem nm_1 vss vss {n} w={w} l={l}\nVprobem xprobem 0 0\n");
    }
}
