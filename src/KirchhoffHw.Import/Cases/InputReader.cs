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
    public static double[][] Read(string path)
    {
        if (!File.Exists(path)) throw new KirchhoffHwException(path, "input file not found");
        string text = File.ReadAllText(path);
        var rows = text.TrimStart().StartsWith('[') || text.TrimStart().StartsWith('{') ? ReadJson(text, path) : ReadCsv(text, path);
        if (rows.Count == 0) throw new KirchhoffHwException(path, "no input rows");
        CheckWidths(rows);
        return rows.Select(r => r.Values).ToArray();
    }

    private readonly record struct Row(double[] Values, SourceLocation At, string Name);

    private static void CheckWidths(List<Row> rows)
    {
        int width = rows[0].Values.Length;
        var bad = rows.FirstOrDefault(r => r.Values.Length != width);
        if (bad.Values is not null)
            throw new KirchhoffHwException(bad.At, $"{bad.Name} has {bad.Values.Length} values but the first row has {width}");
    }

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
            int bad = -1;
            for (int c = 0; c < cells.Length && bad < 0; c++)
                if (!double.TryParse(cells[c].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out values[c])) bad = c;
            if (bad >= 0)
            {
                if (headerAllowed) { headerAllowed = false; continue; }
                throw new KirchhoffHwException(new SourceLocation(path, i + 1, ColumnOf(lines[i], bad)), $"value {bad + 1} '{cells[bad].Trim()}' is not a number");
            }
            headerAllowed = false;
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
            if (v.ValueKind != JsonValueKind.Number) throw new KirchhoffHwException(where, $"{name}[{k}] is not a number");
            values[k++] = v.GetDouble();
        }
        return values;
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
