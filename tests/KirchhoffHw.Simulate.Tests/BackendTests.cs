namespace KirchhoffHw.Simulate.Tests;

[TestFixtureSource(typeof(Backends), nameof(Backends.Names))]
public sealed class BackendTests(string backend)
{
    private ISpiceSimulator Sim => Backends.Get(backend);

    [Test]
    public void When_RcDischarges_Expect_ClosedForm()
    {
        var result = Sim.RunOk(Decks.RcDischarge, "v(n1)");
        var v = result.Vectors["V(N1)"]; // case-insensitive keys
        Assert.That(result.Time, Has.Length.GreaterThan(400));
        Assert.That(result.Time[^1], Is.EqualTo(5e-9).Within(1e-15));
        var worst = result.Time.Select((t, i) => Math.Abs(v[i] - Math.Exp(-t / Decks.Tau))).Max();
        Assert.That(worst, Is.LessThan(1e-4));
    }

    /// <summary>How soon after the limit a run stops is a timing figure for `make bench`, not an assertion here.</summary>
    [Test]
    public void When_DeckRunsTooLong_Expect_TimeoutNamingTheLimit()
    {
        var result = Sim.Run(new SimulationRequest(Decks.Endless, ["v(n1)"], TimeSpan.FromSeconds(1)));
        Assert.That(result.Status, Is.EqualTo(SimulationStatus.Timeout), result.Log);
        Assert.That(result.Message, Does.Contain("did not finish within 1 s"));
        // the backend is still usable afterwards
        Assert.That(Sim.RunOk(Decks.RcDischarge, "v(n1)").Time, Is.Not.Empty);
    }

    [Test]
    public void When_TimestepCollapses_Expect_ConvergenceFailure()
    {
        var result = Sim.Run(new SimulationRequest(Decks.Diverging, ["v(n1)"], TimeSpan.FromSeconds(30)));
        Assert.That(result.Status, Is.EqualTo(SimulationStatus.ConvergenceFailure), result.Log);
        Assert.That(result.Message, Does.Contain("timestep too small").IgnoreCase);
        Assert.That(result.Log, Does.Contain("Timestep too small"));
    }

    [Test]
    public void When_DeckHasSyntaxError_Expect_DeckErrorWithNgspiceMessage()
    {
        var result = Sim.Run(new SimulationRequest(Decks.SyntaxError, ["v(n1)"], TimeSpan.FromSeconds(30)));
        Assert.That(result.Status, Is.EqualTo(SimulationStatus.DeckError), result.Log);
        Assert.That(result.Log, Does.Contain("Error on line").And.Contain("q1 a b"));
        Assert.That(result.Message, Is.Not.Null.And.Not.Empty);
    }

    [Test]
    public void When_VectorDoesNotExist_Expect_DeckErrorNamingIt()
    {
        var result = Sim.Run(new SimulationRequest(Decks.RcDischarge, ["v(n1)", "v(nowhere)"], TimeSpan.FromSeconds(30)));
        Assert.That(result.Status, Is.EqualTo(SimulationStatus.DeckError));
        Assert.That(result.Message, Does.Contain("v(nowhere)"));
        Assert.That(result.Vectors.ContainsKey("v(n1)"), Is.True);
    }
}
