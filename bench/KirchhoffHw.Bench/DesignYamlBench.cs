using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using KirchhoffHw.Import;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace KirchhoffHw.Bench;

/// <summary>
/// mnist as a design file: our export (one char buffer, round-trip numbers) and streaming import, each against
/// YamlDotNet doing the same work in the same run (its emitter writing the same rows, its representation model
/// loading the same file). The ratios are the figures; the tests assert none of these times.
/// </summary>
internal static class DesignYamlBench
{
    public static int Run(string root, string models)
    {
        var design = CheckpointImporter.Load(Path.Combine(models, "mnist", "model.pth")).Design;
        var dir = Path.Combine(Path.GetTempPath(), $"kirchhoffhw-bench-yaml-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        try
        {
            var ours = Path.Combine(dir, "ours.yaml");
            var peer = Path.Combine(dir, "peer.yaml");
            double export = Best(() => DesignYaml.Save(design, ours));
            double import = Best(() => DesignYaml.Load(ours));
            double peerExport = Best(() => PeerWrite(design, peer));
            double peerImport = Best(() =>
            {
                using var reader = new StreamReader(ours);
                new YamlStream().Load(reader);
            });
            long bytes = new FileInfo(ours).Length;
            Console.WriteLine($"mnist design YAML: {bytes / 1e6:F1} MB; export {export:F2} s (YamlDotNet emitter {peerExport:F2} s), import {import:F2} s (YamlDotNet load {peerImport:F2} s)");
            var report = new JsonObject
            {
                ["mnist_design_bytes"] = bytes,
                ["export_s"] = export,
                ["import_s"] = import,
                ["peer_export_s"] = peerExport,
                ["peer_import_s"] = peerImport,
                ["ratio_export_peer_over_ours"] = peerExport / export,
                ["ratio_import_peer_over_ours"] = peerImport / import,
                ["peer"] = "YamlDotNet 16.3 Emitter (same rows, flow sequences) and YamlStream.Load (representation model) of our file",
                ["machine"] = new JsonObject { ["cores"] = Environment.ProcessorCount, ["runtime"] = Environment.Version.ToString() },
                ["date"] = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
            };
            var path = Path.Combine(root, "bench", "results", "design-yaml.json");
            AtomicFile.WriteAllText(path, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            Console.WriteLine($"wrote {path}");
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Best of three, after a first run that warms the JIT and the file cache.</summary>
    private static double Best(Action run)
    {
        run();
        double best = double.MaxValue;
        for (int i = 0; i < 3; i++)
        {
            var clock = Stopwatch.StartNew();
            run();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return best;
    }

    /// <summary>The layers' device rows through YamlDotNet's emitter: the work our writer does by hand.</summary>
    private static void PeerWrite(Design design, string path)
    {
        using var writer = new StreamWriter(path);
        var e = new Emitter(writer);
        e.Emit(new StreamStart());
        e.Emit(new DocumentStart());
        e.Emit(new MappingStart());
        e.Emit(new Scalar("layers"));
        e.Emit(new SequenceStart(null, null, false, SequenceStyle.Block));
        foreach (var layer in design.Layers)
        {
            e.Emit(new MappingStart());
            e.Emit(new Scalar("devices"));
            e.Emit(new SequenceStart(null, null, false, SequenceStyle.Block));
            int edges = layer.Edges.Count;
            for (int d = 0; d < edges; d++)
            {
                e.Emit(new SequenceStart(null, null, false, SequenceStyle.Flow));
                e.Emit(new Scalar(layer.Edges.Source[d].ToString(CultureInfo.InvariantCulture)));
                e.Emit(new Scalar(layer.Edges.Destination[d].ToString(CultureInfo.InvariantCulture)));
                for (int p = 0; p < layer.Model.ParameterCount; p++)
                    e.Emit(new Scalar(layer.Theta[p * edges + d].ToString("R", CultureInfo.InvariantCulture)));
                e.Emit(new SequenceEnd());
            }
            e.Emit(new SequenceEnd());
            e.Emit(new MappingEnd());
        }
        e.Emit(new SequenceEnd());
        e.Emit(new MappingEnd());
        e.Emit(new DocumentEnd(true));
        e.Emit(new StreamEnd());
    }
}
