namespace KirchhoffHw.Simulate.Tests;

public sealed class AgreementTests
{
    private static readonly string[] Nodes = ["v(n1)", "v(n2)", "v(n3)", "v(g)"];

    [TestCase(Decks.Nonlinear)]
    [TestCase(Decks.RcDischarge)]
    public void When_SameDeckThroughBothBackends_Expect_SameWaveforms(string deck)
    {
        var vectors = deck == Decks.Nonlinear ? Nodes : ["v(n1)"];
        var shared = Backends.Get("shared").RunOk(deck, vectors);
        var batch = Backends.Get("batch").RunOk(deck, vectors);
        // The binary raw file carries the same doubles ngspice holds in memory: expect bit-equal results.
        Assert.That(shared.Time, Is.EqualTo(batch.Time));
        foreach (var v in vectors)
            Assert.That(shared.Vectors[v], Is.EqualTo(batch.Vectors[v]).Within(1e-12).Percent, v);
    }

    [Test]
    public void When_GateSwitchesOn_Expect_GatedNodesPulledTogether()
    {
        var result = Backends.Get("shared").RunOk(Decks.Nonlinear, Nodes);
        var gap = result.Vectors["v(n1)"].Zip(result.Vectors["v(n3)"], (a, b) => Math.Abs(a - b)).ToArray();
        var before = Array.FindLastIndex(result.Time, t => t <= 2e-9);
        // ron = 1 kOhm with 1 pF nodes: the gap closes with a time constant of 0.5 ns once the gate is on.
        Assert.That(gap[^1], Is.LessThan(gap[before] * 0.05));
    }

    [Test]
    public void When_SyntheticKirchhoffNetDeck_Expect_BackendsAgree()
    {
        var deck = Decks.Synthetic(devices: 300, nodes: 40);
        var shared = Backends.Get("shared").RunOk(deck, "v(n1)", "v(n40)");
        var batch = Backends.Get("batch").RunOk(deck, "v(n1)", "v(n40)");
        Assert.That(shared.Time, Is.EqualTo(batch.Time));
        Assert.That(shared.Vectors["v(n40)"], Is.EqualTo(batch.Vectors["v(n40)"]));
    }
}
