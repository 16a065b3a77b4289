using KirchhoffHw.Generate.Dialects;
using KirchhoffHw.Generate.Dialects.Ngspice;
using KirchhoffHw.Simulate;
using KirchhoffHw.Simulate.Ngspice;

namespace KirchhoffHw.Verify;

/// <summary>
/// What co-simulation runs each case on: a simulator and the dialect it reads. A new dialect is its emitter (with
/// templates), its simulator class and one line in <see cref="All"/>.
/// </summary>
/// <param name="Simulators">Makes one simulator per job: ngspice keeps global state, so parallel cases need separate processes.</param>
public sealed record CoSimBackend(string Name, string Description, ISimulationDialect Dialect, Func<ISpiceSimulator> Simulators)
{
    public static readonly CoSimBackend NgspiceShared = new("shared", "libngspice in a worker process", new NgspiceEmitter(), () => new NgspiceShared());
    public static readonly CoSimBackend NgspiceBatch = new("batch", "ngspice -b -r", new NgspiceEmitter(), () => new NgspiceBatch());

    public static IReadOnlyList<CoSimBackend> All { get; } = [NgspiceShared, NgspiceBatch];
}
