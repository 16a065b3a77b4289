using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Cells.Tests;

/// <summary>Small designs built in code: every device written out, so a test says what it holds.</summary>
internal static class Designs
{
    /// <summary>Two nodes, three ShiftTanh2 devices (one to ground from each side, one between), one layer [0, 1].</summary>
    public static Design ThreeTanh(Units units) => Build(units, new ShiftTanh2(),
        [(1, 0), (0, 2), (1, 2)], [0.5, 0.0, 0.4, /* p1 */ 0.0, -0.3, -0.2, /* p2 */ 0.2, 0.5, 0.1]);

    /// <summary>
    /// Two nodes of large fan-out, one layer [0, 0.5]: <paramref name="fanOut"/> ShiftTanh2 devices from ground into
    /// node 1 (tanh(3 v1 + 1.5)) and as many into node 2 (tanh(3 v2 - 1.5)). From states beyond a few units both are
    /// saturated (|u| above 4), so node 1 rises and node 2 falls at fanOut units per time unit: a known trajectory that
    /// takes the nodes well past 0.1 V, while the steep weights make the drivers (sized by fan-out) large.
    /// </summary>
    public static Design Drift(Units units, int fanOut)
    {
        var edges = Enumerable.Range(0, 2 * fanOut).Select(i => (0, i < fanOut ? 1 : 2)).ToArray();
        double[] theta = [.. edges.Select(_ => 0.0), .. edges.Select(_ => 3.0), .. edges.Select(e => e.Item2 == 1 ? 1.5 : -1.5)];
        return new("drift", 2, [new Layer(0, 0.5, new ShiftTanh2(), EdgeList.FromPairs(edges), theta)], new InputMap(2), Readout.AllNodes, units, TaskKind.Regression);
    }

    /// <summary>Conductances of the given values between node 1 and node 2.</summary>
    public static Design Conductances(Units units, params double[] g) =>
        Build(units, new Conductance(), g.Select(_ => (1, 2)).ToArray(), g);

    public static Design Build(Units units, DeviceModel model, (int, int)[] edges, double[] theta, TaskKind task = TaskKind.Regression) =>
        new("test", 2, [new Layer(0, 1, model, EdgeList.FromPairs(edges), theta)], new InputMap(2), Readout.AllNodes, units, task);
}
