using KirchhoffHw.Simulate.Ngspice;

namespace KirchhoffHw.Simulate.Tests;

/// <summary>
/// One instance of each backend for the whole test run: the shared backend's worker then starts once.
/// ngspice is installed by the Makefile: a missing one fails these tests, it does not skip them.
/// </summary>
internal static class Backends
{
    private static readonly Lazy<NgspiceShared> SharedInstance = new(() => new NgspiceShared());
    private static readonly Lazy<NgspiceBatch> BatchInstance = new(() => new NgspiceBatch());

    public static ISpiceSimulator Get(string name) => name switch
    {
        "shared" => SharedInstance.Value,
        "batch" => BatchInstance.Value,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    public static NgspiceShared Shared => SharedInstance.Value;

    public static readonly string[] Names = ["shared", "batch"];

    public static SimulationResult RunOk(this ISpiceSimulator sim, string deck, params string[] vectors)
    {
        var result = sim.Run(new SimulationRequest(deck, vectors, TimeSpan.FromSeconds(30)));
        Assert.That(result.Status, Is.EqualTo(SimulationStatus.Ok), () => $"{sim.Name}: {result.Message}\n{result.Log}");
        return result;
    }
}

[SetUpFixture]
public sealed class BackendsTeardown
{
    [OneTimeTearDown]
    public void DisposeShared() => Backends.Shared.Dispose();
}
