using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using KirchhoffHw.Generate;
using KirchhoffHw.Generate.Dialects;
using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;
using KirchhoffHw.Simulate;

namespace KirchhoffHw.Verify;

/// <summary>
/// The operating point of a MOS deck, solved once per circuit and given to every case as `.nodeset`. Left to itself
/// ngspice finds a transistor deck's bias point by dynamic gmin stepping, about a thousand Newton iterations and most
/// of a short case's time; from a bias point of the same circuit it converges in a handful. The point is solved at the
/// zero input, so every case and every run gets the same guess; it is cached by the deck's text.
/// </summary>
public static class OperatingPointSeed
{
    private const string Folder = "operating-points";

    /// <summary>
    /// <paramref name="spice"/> with the seed's node sets: unchanged for decks without MOS cells, or when the seed's own
    /// run fails (each case then solves its operating point from scratch, as it would without a seed).
    /// </summary>
    public static SpiceOptions Apply(Design circuit, SpiceOptions spice, IReadOnlyList<double> sampleTimes, ISimulationDialect dialect,
        ISpiceSimulator simulator, TimeSpan timeout, string? cacheDir, CancellationToken cancel = default)
    {
        if (spice.Devices is null || spice.NodeSets.Count > 0) return spice;
        var deck = dialect.FormatDeck(circuit, spice with { Input = [], SampleTimes = sampleTimes, OperatingPointOnly = true });
        var path = Path.Combine(cacheDir ?? CacheFolder.Default(), Folder, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(deck)))[..24].ToLowerInvariant() + ".txt");
        var sets = Read(path);
        if (sets is null)
        {
            var run = simulator.Run(new SimulationRequest(deck, [SimulationRequest.AllVoltages], timeout), cancel);
            if (!run.IsOk) return spice;
            // the input nodes are held by .ic in every case: a guess for them would only fight it
            var held = Enumerable.Range(0, circuit.NodeCount + 1).Select(Names.Node).ToHashSet(StringComparer.OrdinalIgnoreCase);
            sets = run.Vectors
                .Select(kv => (Net: Names.SimulatorNet(kv.Key[2..^1]), Values: kv.Value))
                .Where(x => x.Net is not null && !held.Contains(x.Net) && x.Values.Length > 0 && double.IsFinite(x.Values[0]))
                .Select(x => new NodeSet(x.Net!, x.Values[0]))
                .OrderBy(n => n.Net, StringComparer.Ordinal).ToList();
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                AtomicFile.WriteText(path, w =>
                {
                    foreach (var n in sets) w.Write($"{n.Net} {n.Volts.ToString("R", CultureInfo.InvariantCulture)}\n");
                });
            }
            catch (IOException) { } // a cache that cannot be written costs the next run the same solve, nothing else
            catch (UnauthorizedAccessException) { }
        }
        return spice with { NodeSets = sets };
    }

    /// <summary>The cached seed, or null when it is missing or anything in it is not a net and a finite voltage (then it is solved again).</summary>
    private static List<NodeSet>? Read(string path)
    {
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        var sets = new List<NodeSet>(lines.Length);
        foreach (var line in lines)
        {
            var parts = line.Split(' ');
            if (parts.Length != 2 || Names.SimulatorNet(parts[0]) is not { } net
                || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var volts) || !double.IsFinite(volts))
                return null;
            sets.Add(new NodeSet(net, volts));
        }
        return sets.Count > 0 ? sets : null;
    }
}
