using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using KirchhoffHw.Cells;
using KirchhoffHw.Generate;
using KirchhoffHw.Generate.Dialects.Ngspice;
using KirchhoffHw.Model;

namespace KirchhoffHw.Cells.Tests;

/// <summary>
/// A waveform's response to a step at <c>t0</c>, in time units from the step: when it last left 10 % (and 2 %) of the
/// change around where it ends, and how far it rang past its final value, as a share of the change.
/// </summary>
internal sealed record StepResponse(double Initial, double Final, double Settled10, double Settled2, double Overshoot)
{
    public double Change => Final - Initial;

    public static StepResponse Of(double[] time, double[] y, double t0, double timeUnit)
    {
        int before = Array.FindLastIndex(time, x => x <= t0);
        double y0 = y[before], yf = y[^1], change = yf - y0;
        double Settled(double share)
        {
            int last = Array.FindLastIndex(y, v => Math.Abs(v - yf) > share * Math.Abs(change));
            return last < before ? 0 : (time[last] - t0) / timeUnit;
        }
        double overshoot = Enumerable.Range(before, y.Length - before).Max(i => (y[i] - yf) * Math.Sign(change)) / Math.Abs(change);
        return new StepResponse(y0, yf, Settled(0.1), Settled(0.02), overshoot);
    }
}

/// <summary>Benches made of an emitted transistor deck with its node capacitors replaced by sources.</summary>
internal static partial class DeckBench
{
    [GeneratedRegex(@"^C(?<k>\d+) n\k<k> 0 \S+$")]
    private static partial Regex NodeCapacitor();

    /// <summary>
    /// The deck with each of its <paramref name="nodes"/> node capacitors replaced by a source stepping through
    /// <paramref name="volts"/> (V, one row per slot of <paramref name="slot"/> seconds, 1 % of a slot to move), no .ic, and
    /// a transient over every slot.
    /// </summary>
    public static string HeldStates(string deck, int nodes, double[][] volts, double slot)
    {
        string Pwl(int k) => "PWL(0 " + T(volts[0][k]) + string.Concat(Enumerable.Range(1, volts.Length - 1)
            .Select(h => $" {T(h * slot)} {T(volts[h - 1][k])} {T((h + 0.01) * slot)} {T(volts[h][k])}")) + ")";
        var output = new StringBuilder(deck.Length);
        int capacitors = 0, transients = 0;
        foreach (var line in deck.Split('\n'))
        {
            if (NodeCapacitor().Match(line) is { Success: true } c)
            {
                int k = int.Parse(c.Groups["k"].Value, CultureInfo.InvariantCulture);
                output.Append(CultureInfo.InvariantCulture, $"Vhold{k} n{k} 0 {Pwl(k - 1)}\n");
                capacitors++;
            }
            else if (line.StartsWith(".ic ", StringComparison.Ordinal)) continue;
            else if (line.StartsWith(".tran ", StringComparison.Ordinal))
            {
                output.Append($".tran {T(slot / 100)} {T(volts.Length * slot)} 0 {T(slot / 20)}\n");
                transients++;
            }
            else output.Append(line).Append('\n');
        }
        Assert.That((capacitors, transients), Is.EqualTo((nodes, 1)), "the deck's node capacitors and .tran, as the emitter writes them");
        return output.ToString();
    }

    /// <summary>Twomoon's fan-out (ten saturated devices per node at 150 per volt) as the emitter writes it.</summary>
    public static string Deck(Units units)
    {
        var design = Designs.Drift(units, 10);
        var lowered = new Lowered(Fidelity.Transistor, design, new RegulatedNetlist(Shared.Tech), null);
        return new NgspiceEmitter().FormatDeck(design, lowered.Apply(SpiceOptions.Default) with { Input = [0, 0] });
    }

    public static string T(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// The deck with its node capacitors replaced by <paramref name="hold1"/> and <paramref name="hold2"/> (the
    /// sources' values or PWLs), no .ic, a transient of <paramref name="stop"/> seconds, and <paramref name="extra"/>
    /// lines before .end.
    /// </summary>
    public static string Held(string deck, string hold1, string hold2, double stop, string extra)
    {
        var output = new StringBuilder(deck.Length);
        int capacitors = 0;
        foreach (var line in deck.Split('\n'))
        {
            if (line.StartsWith("C1 n1 0 ", StringComparison.Ordinal))
            {
                output.Append($"Vhold1 n1 0 {hold1}\n");
                capacitors++;
            }
            else if (line.StartsWith("C2 n2 0 ", StringComparison.Ordinal))
            {
                output.Append($"Vhold2 n2 0 {hold2}\n");
                capacitors++;
            }
            else if (line.StartsWith(".ic ", StringComparison.Ordinal)) continue;
            else if (line.StartsWith(".tran ", StringComparison.Ordinal)) output.Append($".tran {T(stop / 4000)} {T(stop)} 0 {T(0.1e-9)}\n");
            else if (line.Trim() == ".end") output.Append(extra).Append(".end\n");
            else output.Append(line).Append('\n');
        }
        Assert.That(capacitors, Is.EqualTo(2), "the deck's node capacitors, as the emitter writes them");
        return output.ToString();
    }
}
