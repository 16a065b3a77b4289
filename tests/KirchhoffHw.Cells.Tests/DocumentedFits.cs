using KirchhoffHw.Cells;

namespace KirchhoffHw.Cells.Tests;

/// <summary>
/// The cell fit errors docs/cells.md states ("What limits accuracy", cell fits of the default technology), as the
/// upper ends of their printed rounding. A fit is checked against these, not against the error it reports for
/// itself: a change that makes the cells worse fails here until the documentation says so.
/// </summary>
internal static class DocumentedFits
{
    /// <summary>Largest and RMS error in units of the fitted law: tanh over |u| &lt;= 3, linear parts over |u| &lt;= 1.</summary>
    public static (double Max, double Rms) Of(CellTopology topology, Operation operation) => (topology.Key, operation) switch
    {
        ("ota", Operation.Tanh) => (0.0155, 0.00775),       // "tanh max error 0.015 (rms 0.0077)"
        ("ota", Operation.Linear) => (0.01 * (1 + 1e-6), 0.01), // "linear transconductor 1 % of the range" (the fit's own target)
        ("rectifier", Operation.Linear) => (0.0165, 0.00445), // "rectifier 1.6 % (rms 0.44 %)"
        _ => throw new ArgumentOutOfRangeException(nameof(operation), $"docs/cells.md gives no figure for {topology}/{operation}"),
    };

    public static double Max(PartFit fit) => Of(fit.Topology, fit.Operation).Max;
}
