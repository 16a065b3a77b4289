using System.Text.Json;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;

namespace KirchhoffHw.Import.Cases;

/// <summary>
/// Reads and writes case files in the shape of the shared vectors.json: metadata keys first, then `cases` with
/// `input`, `boundaries[*].{t, state}` and `output`. Numbers are written shortest-round-trip, so a written file
/// reads back bit-identical.
/// </summary>
public static class CaseFile
{
    /// <summary>Memory per byte of JSON: the bytes, the document's index of them, and the doubles parsed out.</summary>
    private const int JsonExpansion = 8;

    public static CaseSet Read(string path)
    {
        var bytes = InputFile.ReadAllBytes(path, "case file", JsonExpansion);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException ex)
        {
            throw new KirchhoffHwException(new SourceLocation(path, (int)(ex.LineNumber ?? 0) + 1, (int)(ex.BytePositionInLine ?? 0) + 1), $"invalid JSON: {ex.Message.Split(" Path:")[0]}", ex);
        }
        using (doc)
        {
            try { return Read(doc, path); }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException)
            {
                // a string that is not valid UTF-8, a number past double's range
                throw new KirchhoffHwException(path, $"invalid JSON: {ex.Message}", ex);
            }
        }
    }

    private static CaseSet Read(JsonDocument doc, string path)
    {
        {
            var where = new SourceLocation(path);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("cases", out var cases) || cases.ValueKind != JsonValueKind.Array)
                throw new KirchhoffHwException(where, "a case file is a JSON object with a 'cases' array");
            var metadata = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var p in root.EnumerateObject())
                if (p.Name != "cases") metadata[p.Name] = ToObject(p.Value);
            var list = new List<Case>();
            foreach (var c in cases.EnumerateArray())
            {
                string name = $"cases[{list.Count}]";
                if (c.ValueKind != JsonValueKind.Object) throw new KirchhoffHwException(where, $"{name} must be an object");
                var input = InputReader.JsonNumbers(Get(c, "input", where, name), where, $"{name}.input");
                var output = c.TryGetProperty("output", out var o) ? InputReader.JsonNumbers(o, where, $"{name}.output") : [];
                var boundaries = new List<Boundary>();
                if (c.TryGetProperty("boundaries", out var bs))
                {
                    if (bs.ValueKind != JsonValueKind.Array) throw new KirchhoffHwException(where, $"{name}.boundaries must be an array");
                    foreach (var b in bs.EnumerateArray())
                    {
                        string bn = $"{name}.boundaries[{boundaries.Count}]";
                        if (b.ValueKind != JsonValueKind.Object) throw new KirchhoffHwException(where, $"{bn} must be an object");
                        var t = Get(b, "t", where, bn);
                        if (t.ValueKind != JsonValueKind.Number) throw new KirchhoffHwException(where, $"{bn}.t is not a number");
                        boundaries.Add(new Boundary(t.GetDouble(), InputReader.JsonNumbers(Get(b, "state", where, bn), where, $"{bn}.state")));
                    }
                }
                list.Add(new Case(input, boundaries, output));
            }
            return new CaseSet(list, metadata);
        }
    }

    public static void Write(string path, CaseSet set) => AtomicFile.Write(path, stream =>
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false, SkipValidation = false });
        w.WriteStartObject();
        foreach (var (key, value) in set.Metadata)
        {
            if (key == "cases") continue;
            w.WritePropertyName(key);
            WriteValue(w, value, path);
        }
        w.WriteStartArray("cases");
        foreach (var c in set.Cases)
        {
            w.WriteStartObject();
            WriteArray(w, "input", c.Input, path);
            w.WriteStartArray("boundaries");
            foreach (var b in c.Boundaries)
            {
                w.WriteStartObject();
                w.WritePropertyName("t");
                Number(w, b.T, path);
                WriteArray(w, "state", b.State, path);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            WriteArray(w, "output", c.Output, path);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });

    private static JsonElement Get(JsonElement e, string key, SourceLocation where, string name) =>
        e.TryGetProperty(key, out var v) ? v : throw new KirchhoffHwException(where, $"{name} has no '{key}'");

    private static object? ToObject(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out long l) ? l : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Array => e.EnumerateArray().Select(ToObject).ToList(),
        JsonValueKind.Object => e.EnumerateObject().ToDictionary(p => p.Name, p => ToObject(p.Value)),
        _ => null,
    };

    private static void WriteArray(Utf8JsonWriter w, string name, double[] values, string path)
    {
        w.WriteStartArray(name);
        foreach (var v in values) Number(w, v, path);
        w.WriteEndArray();
    }

    /// <summary>JSON has no NaN or infinity; a diverged case must be reported, not written as invalid JSON.</summary>
    private static void Number(Utf8JsonWriter w, double v, string path)
    {
        if (!double.IsFinite(v)) throw new KirchhoffHwException(path, $"cannot write {v} to a case file; JSON numbers must be finite");
        w.WriteNumberValue(v);
    }

    private static void WriteValue(Utf8JsonWriter w, object? value, string path)
    {
        switch (value)
        {
            case null: w.WriteNullValue(); break;
            case string s: w.WriteStringValue(s); break;
            case bool b: w.WriteBooleanValue(b); break;
            case double d: Number(w, d, path); break;
            case float f: Number(w, f, path); break;
            case int i: w.WriteNumberValue(i); break;
            case long l: w.WriteNumberValue(l); break;
            case JsonElement e: e.WriteTo(w); break;
            case System.Collections.IDictionary dict:
                w.WriteStartObject();
                foreach (System.Collections.DictionaryEntry entry in dict)
                {
                    w.WritePropertyName(Convert.ToString(entry.Key, System.Globalization.CultureInfo.InvariantCulture) ?? "");
                    WriteValue(w, entry.Value, path);
                }
                w.WriteEndObject();
                break;
            case System.Collections.IEnumerable items:
                w.WriteStartArray();
                foreach (var item in items) WriteValue(w, item, path);
                w.WriteEndArray();
                break;
            default:
                throw new KirchhoffHwException(path, $"metadata value of type {value.GetType().Name} cannot be written to a case file");
        }
    }
}
