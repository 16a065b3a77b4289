using System.Text;

namespace KirchhoffHw.Cells;

/// <summary>The MOS transistors a transistor deck holds, as written: the devices' own, and the rest (drivers, output stages, bias generators, precharge switches).</summary>
/// <param name="Family">The cells counted, as a report names them.</param>
public sealed record DeckCount(string Family, long DeviceTransistors, long SharedTransistors)
{
    public long Transistors => DeviceTransistors + SharedTransistors;

    /// <summary>Devices the deck builds at the limit of its unit cell (their bias outside the unit's range), so not as trained.</summary>
    public long DevicesAtLimit { get; init; }

    /// <summary>Why the first of <see cref="DevicesAtLimit"/> is built at the limit; null when none is.</summary>
    public string? FirstLimit { get; init; }

    /// <summary>The deck's factor on every device current and node capacitance (<see cref="RegulatedNetlist.CapacitanceBoost"/>; 1: as designed).</summary>
    public double CapacitanceBoost { get; init; } = 1;
}

/// <summary>
/// Counts the MOS transistors of SPICE text written through it, subcircuits expanded: an M line at top level is one, an
/// X line is as many as its subcircuit (by name, the last word that is not a parameter) holds, nested instances included.
/// Continuation lines (+) belong to the line before.
/// </summary>
public sealed class MosCounter : TextWriter
{
    private readonly StringBuilder _line = new();
    private string? _pending;
    private string? _subckt;
    private long _top;
    private readonly Dictionary<string, long> _calls = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, (long Mos, List<string> Calls)> _defs = new(StringComparer.OrdinalIgnoreCase);
    private bool _done;

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        if (value == '\n') { Physical(_line.ToString()); _line.Clear(); }
        else if (value != '\r') _line.Append(value);
    }

    public override void Write(string? value)
    {
        foreach (char c in value ?? "") Write(c);
    }

    public override void Write(char[] buffer, int index, int count)
    {
        for (int i = index; i < index + count; i++) Write(buffer[i]);
    }

    private void Physical(string line)
    {
        var t = line.TrimStart();
        if (t.StartsWith('+')) { if (_pending is not null) _pending += " " + t[1..]; return; }
        if (_pending is not null) Logical(_pending);
        _pending = t;
    }

    private void Logical(string t)
    {
        if (t.Length == 0 || t[0] == '*') return;
        var words = t.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (words[0].Equals(".subckt", StringComparison.OrdinalIgnoreCase) && words.Length > 1) { _subckt = words[1]; _defs[_subckt] = (0, []); return; }
        if (words[0].StartsWith(".ends", StringComparison.OrdinalIgnoreCase)) { _subckt = null; return; }
        char k = char.ToUpperInvariant(t[0]);
        if (k == 'M')
        {
            if (_subckt is null) _top++;
            else _defs[_subckt] = (_defs[_subckt].Mos + 1, _defs[_subckt].Calls);
        }
        else if (k == 'X' && words.LastOrDefault(w => !w.Contains('=')) is { } name && words.Length > 1)
        {
            if (_subckt is null) _calls[name] = _calls.GetValueOrDefault(name) + 1;
            else _defs[_subckt].Calls.Add(name);
        }
    }

    /// <summary>Transistors in everything written so far (finishes the last line).</summary>
    public long Transistors
    {
        get
        {
            if (!_done)
            {
                if (_line.Length > 0) { Physical(_line.ToString()); _line.Clear(); }
                if (_pending is not null) { Logical(_pending); _pending = null; }
                _done = true;
            }
            var memo = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
            long Flat(string name, int depth)
            {
                if (memo.TryGetValue(name, out long n)) return n;
                // an instance of a subcircuit the text does not define (a model library's) holds none we can see
                if (!_defs.TryGetValue(name, out var d) || depth > 64) return 0;
                return memo[name] = d.Mos + d.Calls.Sum(c => Flat(c, depth + 1));
            }
            return _top + _calls.Sum(kv => kv.Value * Flat(kv.Key, 0));
        }
    }
}
