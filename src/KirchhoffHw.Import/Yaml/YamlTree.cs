using System.Globalization;
using KirchhoffHw.Model;

namespace KirchhoffHw.Import.Yaml;

/// <summary>A YAML node with where it starts; small documents only (design rows are streamed, not built).</summary>
internal abstract record YNode(SourceLocation At)
{
    public abstract string Kind { get; }
}

internal sealed record YScalar(SourceLocation At, string Value, bool Plain) : YNode(At)
{
    public override string Kind => "a scalar";

    /// <summary>YAML 1.1/1.2 core-schema null: an empty or `~`/`null` plain scalar.</summary>
    public bool IsNull => Plain && Value is "" or "~" or "null" or "Null" or "NULL";
}

internal sealed record YSequence(SourceLocation At, IReadOnlyList<YNode> Items) : YNode(At)
{
    public override string Kind => "a list";
}

internal sealed record YMapping(SourceLocation At, IReadOnlyList<(YScalar Key, YNode Value)> Entries) : YNode(At)
{
    public override string Kind => "a mapping";

    public YNode? this[string key]
    {
        get
        {
            foreach (var (k, v) in Entries)
                if (k.Value == key) return v;
            return null;
        }
    }
}

/// <summary>Typed reads of YAML nodes that fail with file:line:column and what was expected.</summary>
internal static class Y
{
    public static KirchhoffHwException Error(YNode node, string message) => new(node.At, message);

    public static bool IsNull(YNode? node) => node is null || node is YScalar { IsNull: true };

    public static YScalar Scalar(YNode node, string what) =>
        node as YScalar ?? throw Error(node, $"{what} must be a single value, got {node.Kind}");

    public static YMapping Mapping(YNode node, string what) =>
        node as YMapping ?? throw Error(node, $"{what} must be a mapping, got {node.Kind}");

    public static YSequence Sequence(YNode node, string what) =>
        node as YSequence ?? throw Error(node, $"{what} must be a list, got {node.Kind}");

    public static string String(YNode node, string what) => Scalar(node, what).Value;

    public static long Integer(YNode node, string what)
    {
        var s = Scalar(node, what);
        if (TryInteger(s.Value, out var v)) return v;
        throw Error(node, $"{what} must be an integer, got '{s.Value}'");
    }

    public static int Int(YNode node, string what, int min = int.MinValue)
    {
        long v = Integer(node, what);
        if (v < min || v > int.MaxValue) throw Error(node, $"{what} must be an integer of at least {min}, got {v}");
        return (int)v;
    }

    /// <summary>Any number YAML or Python would read, including `1e-3` which PyYAML keeps as a string the authors float().</summary>
    public static double Double(YNode node, string what)
    {
        var s = Scalar(node, what);
        if (TryDouble(s.Value, out var v)) return v;
        throw Error(node, $"{what} must be a number, got '{s.Value}'");
    }

    public static bool Bool(YNode node, string what)
    {
        var s = Scalar(node, what).Value;
        return s switch
        {
            "true" or "True" or "TRUE" => true,
            "false" or "False" or "FALSE" => false,
            _ => throw Error(node, $"{what} must be true or false, got '{s}'"),
        };
    }

    public static bool TryInteger(string text, out long value) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    public static bool TryDouble(string text, out double value)
    {
        switch (text)
        {
            case ".nan" or ".NaN" or ".NAN": value = double.NaN; return true;
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF": value = double.PositiveInfinity; return true;
            case "-.inf" or "-.Inf" or "-.INF": value = double.NegativeInfinity; return true;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }
}
