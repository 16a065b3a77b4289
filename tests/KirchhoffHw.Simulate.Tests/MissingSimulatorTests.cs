using KirchhoffHw.Simulate.Ngspice;

namespace KirchhoffHw.Simulate.Tests;

public sealed class MissingSimulatorTests
{
    private static readonly SimulationRequest Request = new(Decks.RcDischarge, ["v(n1)"], TimeSpan.FromSeconds(10));

    [Test]
    public void When_BatchProgramNotOnPath_Expect_SimulatorMissingWithInstallHint()
    {
        using var sim = new NgspiceBatch(NgspiceBatchOptions.Default with { Executable = "ngspice-not-installed" });
        var result = sim.Run(Request);
        Assert.That(result.Status, Is.EqualTo(SimulationStatus.SimulatorMissing));
        Assert.That(result.Message, Is.EqualTo(
            "ngspice-not-installed not found on PATH: install it with `apt-get install ngspice` (or `make deps`)"));
        Assert.That(NgspiceBatch.MissingMessage, Does.StartWith("ngspice not found on PATH"));
    }

    [Test]
    public void When_BatchProgramPathMissing_Expect_SimulatorMissingNamingThePath()
    {
        using var sim = new NgspiceBatch(NgspiceBatchOptions.Default with { Executable = "/nonexistent/bin/ngspice" });
        var result = sim.Run(Request);
        Assert.That(result.Status, Is.EqualTo(SimulationStatus.SimulatorMissing));
        Assert.That(result.Message, Does.Contain("/nonexistent/bin/ngspice").And.Contain("apt-get install ngspice"));
    }

    [Test]
    public void When_SharedLibraryMissing_Expect_SimulatorMissingWithInstallHint()
    {
        using var sim = new NgspiceShared(NgspiceSharedOptions.Default with { LibraryNames = ["libngspice-not-installed.so.0"] });
        var result = sim.Run(Request);
        Assert.That(result.Status, Is.EqualTo(SimulationStatus.SimulatorMissing));
        Assert.That(result.Message, Is.EqualTo(
            "ngspice shared library not found: install it with `apt-get install libngspice0` (or `make deps`)"));
        Assert.That(result.Log, Does.Contain("libngspice-not-installed.so.0"));
        Assert.That(sim.WorkerProcessId, Is.Null);
    }
}
