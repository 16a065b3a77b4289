using System.Globalization;
using System.Text.Json;
using KirchhoffHw.Model;

namespace KirchhoffHw.Import.Cases;

/// <summary>
/// Input vectors from a file (CSV rows, a JSON array of arrays, or a vectors.json-like object with
/// `cases[*].input`) or from a seeded generator that gives the same numbers on every platform.
/// </summary>
public static class InputReader
{
    /// <summary>Memory per byte of input file: the text as UTF-16, split into lines and cells, parsed into doubles.</summary>
    private const int TextExpansion = 12;

    public static double[][] Read(string path) => ReadRows(path).Select(r => r.Values).ToArray();

    /// <summary>
    /// Reads inputs for a design with <paramref name="width"/> input nodes of <paramref name="nodes"/>: a row longer than
    /// the design's nodes is an error at its line; a row shorter than the input width is filled as the design says
    /// (zeros or repeat), and <paramref name="warn"/> is told which rows were.
    /// </summary>
    public static double[][] Read(string path, int width, int nodes, Action<string>? warn)
    {
        var rows = ReadRows(path);
        foreach (var r in rows)
            if (r.Values.Length > nodes)
                throw new KirchhoffHwException(r.At, $"{r.Name} has {r.Values.Length} values but the design has {nodes} nodes");
        var short_ = rows.Where(r => r.Values.Length < width).ToList();
        if (short_.Count > 0 && warn is not null)
            warn($"{short_[0].At}: {short_[0].Name} has {short_[0].Values.Length} values for the design's {width} inputs; the missing ones are filled" +
                (short_.Count > 1 ? $" ({short_.Count} rows are this short)" : ""));
        return rows.Select(r => r.Values).ToArray();
    }

    private static List<Row> ReadRows(string path)
    {
        string text = Model.IO.InputFile.ReadAllText(path, "input file", TextExpansion);
        var rows = text.TrimStart().StartsWith('[') || text.TrimStart().StartsWith('{') ? ReadJson(text, path) : ReadCsv(text, path);
        if (rows.Count == 0) throw new KirchhoffHwException(path, "no input rows");
        CheckWidths(rows);
        return rows;
    }

    private readonly record struct Row(double[] Values, SourceLocation At, string Name);

    private static void CheckWidths(List<Row> rows)
    {
        int width = rows[0].Values.Length;
        var bad = rows.FirstOrDefault(r => r.Values.Length != width);
        if (bad.Values is not null)
            throw new KirchhoffHwException(bad.At, $"{bad.Name} has {bad.Values.Length} values but the first row has {width}");
    }

    /// <summary>
    /// CSV rows of numbers. The first non-comment line may be a header, but only if none of its cells is a number:
    /// a row mixing numbers and text (`1,abc,2`) is a data row with a bad value, reported at its line and column.
    /// </summary>
    private static List<Row> ReadCsv(string text, string path)
    {
        var rows = new List<Row>();
        var lines = text.Split('\n');
        bool headerAllowed = true;
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r').Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var at = new SourceLocation(path, i + 1);
            var cells = line.Split(',');
            var values = new double[cells.Length];
            var ok = new bool[cells.Length];
            for (int c = 0; c < cells.Length; c++)
                ok[c] = double.TryParse(cells[c].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out values[c]);
            bool header = headerAllowed && ok.All(x => !x);
            headerAllowed = false;
            if (header) continue;
            int bad = Array.IndexOf(ok, false);
            if (bad >= 0)
                throw new KirchhoffHwException(new SourceLocation(path, i + 1, ColumnOf(lines[i], bad)),
                    cells[bad].Trim().Length == 0 ? $"value {bad + 1} is empty" : $"value {bad + 1} '{cells[bad].Trim()}' is not a number");
            CheckFinite(values, at, $"line {i + 1}");
            rows.Add(new Row(values, at, $"line {i + 1}"));
        }
        return rows;
    }

    private static int ColumnOf(string line, int cell)
    {
        int col = 0;
        for (int c = 0; c < cell; c++) col = line.IndexOf(',', col) + 1;
        return col + 1;
    }

    private static List<Row> ReadJson(string text, string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            throw new KirchhoffHwException(new SourceLocation(path, (int)(ex.LineNumber ?? 0) + 1, (int)(ex.BytePositionInLine ?? 0) + 1), $"invalid JSON: {ex.Message.Split(" Path:")[0]}", ex);
        }
        using (doc)
        {
            var where = new SourceLocation(path);
            var root = doc.RootElement;
            var rows = new List<Row>();
            if (root.ValueKind == JsonValueKind.Array)
            {
                int i = 0;
                foreach (var item in root.EnumerateArray()) { rows.Add(Numbers(item, where, $"input {i}")); i++; }
            }
            else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("cases", out var cases) && cases.ValueKind == JsonValueKind.Array)
            {
                int i = 0;
                foreach (var c in cases.EnumerateArray())
                {
                    if (c.ValueKind != JsonValueKind.Object || !c.TryGetProperty("input", out var input))
                        throw new KirchhoffHwException(where, $"cases[{i}] has no input");
                    rows.Add(Numbers(input, where, $"cases[{i}].input"));
                    i++;
                }
            }
            else throw new KirchhoffHwException(where, "JSON inputs must be an array of arrays of numbers or an object with cases[*].input");
            return rows;
        }
    }

    internal static double[] JsonNumbers(JsonElement e, SourceLocation where, string name)
    {
        if (e.ValueKind != JsonValueKind.Array) throw new KirchhoffHwException(where, $"{name} must be an array of numbers");
        var values = new double[e.GetArrayLength()];
        int k = 0;
        foreach (var v in e.EnumerateArray())
        {
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out values[k]) || !double.IsFinite(values[k]))
                throw new KirchhoffHwException(where, $"{name}[{k}] is not a finite number: {Model.Text.TerminalText.Escape(Raw(v))}");
            k++;
        }
        return values;
    }

    private static string Raw(JsonElement v)
    {
        var raw = v.GetRawText();
        return raw.Length > 40 ? raw[..40] + "..." : raw;
    }

    private static Row Numbers(JsonElement e, SourceLocation where, string name)
    {
        var values = JsonNumbers(e, where, name);
        CheckFinite(values, where, name);
        return new Row(values, where, name);
    }

    private static void CheckFinite(double[] values, SourceLocation at, string name)
    {
        for (int k = 0; k < values.Length; k++)
            if (!double.IsFinite(values[k])) throw new KirchhoffHwException(at, $"{name}, value {k + 1} is {values[k]}; inputs must be finite");
    }

    /// <summary>
    /// Deterministic inputs: SplitMix64 for the bits, 53-bit uniforms, Marsaglia's polar method for normals
    /// (only sqrt and log, no trigonometry), so the sequence depends on the seed alone.
    /// </summary>
    public static double[][] Random(int count, int width, int seed, RandomInputKind kind)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        MemoryLimit.Require(MemoryLimit.Times(count, 8.0 * width + 32), $"{count} random inputs of {width} values", new SourceLocation("<options>"));
        ulong state = unchecked((ulong)(long)seed);
        double Uniform()
        {
            ulong z = state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (z >> 11) * (1.0 / (1UL << 53));
        }
        double? spare = null;
        double Normal()
        {
            if (spare is { } s) { spare = null; return s; }
            double u, v, q;
            do { u = 2 * Uniform() - 1; v = 2 * Uniform() - 1; q = u * u + v * v; } while (q >= 1 || q == 0);
            double f = Math.Sqrt(-2 * Math.Log(q) / q);
            spare = v * f;
            return u * f;
        }
        var rows = new double[count][];
        for (int i = 0; i < count; i++)
        {
            rows[i] = new double[width];
            for (int j = 0; j < width; j++) rows[i][j] = kind == RandomInputKind.Uniform01 ? Uniform() : Normal();
        }
        return rows;
    }
}
