using System.CommandLine;
using System.Globalization;
using KirchhoffHw.Import;

namespace KirchhoffHw.Cli.Commands;

internal static class InfoCommand
{
    public static Command Create(Console console)
    {
        var io = new ModelInputs();
        var output = Common.Output<string?>("Write the summary to this file instead of the terminal.", required: false);
        var command = new Command("info", "Show a design's nodes, devices per layer and parameter statistics.") { output };
        io.AddTo(command, withInputs: false);
        command.SetAction(r =>
        {
            var imported = io.Load(r);
            if (r.GetValue(output) is { } path)
            {
                Model.IO.AtomicFile.WriteText(path, w => Print(console with { Out = w }, imported, statistics: true));
                console.Out.WriteLine($"wrote {path}");
            }
            else Print(console, imported, statistics: true);
            return App.ExitOk;
        });
        return command;
    }

    public static void Print(Console console, ImportedModel imported, bool statistics)
    {
        var d = imported.Design;
        var w = console.Out;
        string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
        w.WriteLine($"design     {Model.Text.TerminalText.Escape(d.Name)}  ({Model.Text.TerminalText.Escape(imported.Source)})");
        w.WriteLine($"task       {d.Task.ToString().ToLowerInvariant()}");
        w.WriteLine($"nodes      {d.NodeCount} + ground, input width {d.Input.Width} (fill {d.Input.Fill.ToString().ToLowerInvariant()}), read-out {d.Readout} ({d.OutputNodes.Length} nodes)");
        w.WriteLine($"units      C = {F(d.Units.Capacitance)} F, time unit = {F(d.Units.TimeUnit)} s, voltage scale = {F(d.Units.VoltageScale)} V");
        if (imported.Tolerance is { } tol) w.WriteLine($"solver     trained with rtol = atol = {F(tol)}");
        w.WriteLine($"devices    {d.DeviceCount} in {d.Layers.Count} layers");
        for (int i = 0; i < d.Layers.Count; i++)
        {
            var l = d.Layers[i];
            w.WriteLine($"  layer {i}  t = [{F(l.TStart)}, {F(l.TEnd)}]  {l.Edges.Count} x {l.Model.Name}: {l.Model.Equation}");
            if (!statistics) continue;
            for (int p = 0; p < l.Model.ParameterCount; p++)
            {
                var row = l.ParameterRow(p);
                if (row.Length == 0) continue;
                double min = double.MaxValue, max = double.MinValue, sum = 0, sq = 0;
                int negative = 0;
                foreach (var v in row) { min = Math.Min(min, v); max = Math.Max(max, v); sum += v; sq += v * v; if (v < 0) negative++; }
                double mean = sum / row.Length, std = Math.Sqrt(Math.Max(0, sq / row.Length - mean * mean));
                w.WriteLine($"    {l.Model.ParameterNames[p],-4} min {F(min),12}  max {F(max),12}  mean {F(mean),12}  std {F(std),12}  negative {100.0 * negative / row.Length:F1}%");
            }
        }
    }
}
