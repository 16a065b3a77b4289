using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Cells.Tests;

/// <summary>Small designs built in code: every device written out, so a test says what it holds.</summary>
internal static class Designs
{
    /// <summary>Two nodes, three ShiftTanh2 devices (one to ground from each side, one between), one layer [0, 1].</summary>
    public static Design ThreeTanh(Units units) => Build(units, new ShiftTanh2(),
        [(1, 0), (0, 2), (1, 2)], [0.5, 0.0, 0.4, /* p1 */ 0.0, -0.3, -0.2, /* p2 */ 0.2, 0.5, 0.1]);

    /// <summary>Conductances of the given values between node 1 and node 2.</summary>
    public static Design Conductances(Units units, params double[] g) =>
        Build(units, new Conductance(), g.Select(_ => (1, 2)).ToArray(), g);

    public static Design Build(Units units, DeviceModel model, (int, int)[] edges, double[] theta, TaskKind task = TaskKind.Regression) =>
        new("test", 2, [new Layer(0, 1, model, EdgeList.FromPairs(edges), theta)], new InputMap(2), Readout.AllNodes, units, task);
}
