using KirchhoffHw.Model;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace KirchhoffHw.Import.Yaml;

/// <summary>
/// Pulls YAML events one at a time with every error located at file:line:column. Anchors and aliases are
/// refused where they first appear: a model file never needs them, and refusing them at parse time is what
/// defeats alias bombs (billion laughs) before any expansion could cost memory.
/// </summary>
internal sealed class YamlEventReader
{
    private const int MaxDepth = 64;

    /// <summary>
    /// The YAML core schema. Language-specific tags share its prefix (`!!python/object/apply:os.system` is
    /// `tag:yaml.org,2002:python/object/apply:os.system`), so the prefix alone admits them.
    /// </summary>
    private static readonly HashSet<string> CoreTags = new(StringComparer.Ordinal)
    {
        "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map",
    };
    private readonly Parser _parser;
    private int _depth;

    public string File { get; }
    public ParsingEvent Current { get; private set; }

    public YamlEventReader(TextReader text, string file)
    {
        File = file;
        _parser = new Parser(text);
        Current = new StreamStart();
        Next();
        Expect<StreamStart>("the start of the YAML stream");
        if (Current is StreamEnd) throw new KirchhoffHwException(At(Current), "the file is empty");
        Expect<DocumentStart>("a YAML document");
    }

    public SourceLocation At(ParsingEvent e) => new(File, (int)e.Start.Line, (int)e.Start.Column);

    public ParsingEvent Next()
    {
        try
        {
            if (!_parser.MoveNext()) throw new KirchhoffHwException(new SourceLocation(File), "the YAML ends unexpectedly");
        }
        catch (YamlException ex)
        {
            var msg = ex.Message;
            int cut = msg.IndexOf("): ", StringComparison.Ordinal);
            if (msg.StartsWith('(') && cut > 0) msg = msg[(cut + 3)..];
            throw new KirchhoffHwException(new SourceLocation(File, (int)ex.Start.Line, (int)ex.Start.Column), $"YAML syntax error: {msg}", ex);
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet's scanner throws this on some malformed flow collections instead of a YamlException.
            throw new KirchhoffHwException(new SourceLocation(File, (int)Current.End.Line, (int)Current.End.Column),
                "YAML syntax error after this point (an unclosed [ or { perhaps)", ex);
        }
        var e = _parser.Current!;
        if (e is AnchorAlias alias)
            throw new KirchhoffHwException(At(e), $"YAML alias '*{alias.Value}' refused: model files may not use anchors or aliases");
        if (e is NodeEvent node)
        {
            if (!node.Anchor.IsEmpty)
                throw new KirchhoffHwException(At(e), $"YAML anchor '&{node.Anchor}' refused: model files may not use anchors or aliases");
            if (!node.Tag.IsEmpty && !node.Tag.IsNonSpecific && !CoreTags.Contains(node.Tag.Value))
                throw new KirchhoffHwException(At(e), $"YAML tag '{node.Tag.Value}' refused: model files hold plain data only (the core schema's !!str, !!int, !!float, !!bool, !!null, !!seq and !!map)");
        }
        if (e is MappingStart or SequenceStart && ++_depth > MaxDepth)
            throw new KirchhoffHwException(At(e), $"YAML nested deeper than {MaxDepth} levels");
        if (e is MappingEnd or SequenceEnd) _depth--;
        Current = e;
        return e;
    }

    public T Expect<T>(string what) where T : ParsingEvent
    {
        if (Current is not T t) throw new KirchhoffHwException(At(Current), $"expected {what}, found {Describe(Current)}");
        Next();
        return t;
    }

    /// <summary>Builds the node at the current event and moves past it.</summary>
    public YNode ReadNode()
    {
        var at = At(Current);
        switch (Current)
        {
            case Scalar s:
                Next();
                return new YScalar(at, s.Value, s.Style is ScalarStyle.Plain or ScalarStyle.Any);
            case SequenceStart:
                {
                    Next();
                    var items = new List<YNode>();
                    while (Current is not SequenceEnd) items.Add(ReadNode());
                    Next();
                    return new YSequence(at, items);
                }
            case MappingStart:
                {
                    Next();
                    var entries = new List<(YScalar, YNode)>();
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    while (Current is not MappingEnd)
                    {
                        var key = ReadKey();
                        if (!seen.Add(key.Value)) throw new KirchhoffHwException(key.At, $"duplicate key '{key.Value}'");
                        entries.Add((key, ReadNode()));
                    }
                    Next();
                    return new YMapping(at, entries);
                }
            default:
                throw new KirchhoffHwException(at, $"unexpected {Describe(Current)}");
        }
    }

    public YScalar ReadKey()
    {
        if (Current is not Scalar s) throw new KirchhoffHwException(At(Current), "mapping keys must be plain names");
        var key = new YScalar(At(Current), s.Value, s.Style is ScalarStyle.Plain or ScalarStyle.Any);
        Next();
        return key;
    }

    /// <summary>After the root node: exactly one document.</summary>
    public void ExpectEnd()
    {
        Expect<DocumentEnd>("the end of the document");
        if (Current is not StreamEnd) throw new KirchhoffHwException(At(Current), "only one YAML document is allowed per file");
    }

    /// <summary>Reads a whole single-document file as a tree.</summary>
    public static YNode ReadDocument(TextReader text, string file)
    {
        var reader = new YamlEventReader(text, file);
        var root = reader.ReadNode();
        reader.ExpectEnd();
        return root;
    }

    private static string Describe(ParsingEvent e) => e switch
    {
        Scalar s => $"the value '{s.Value}'",
        SequenceStart => "a list",
        MappingStart => "a mapping",
        SequenceEnd => "the end of a list",
        MappingEnd => "the end of a mapping",
        DocumentEnd => "the end of the document",
        DocumentStart => "another document",
        StreamEnd => "the end of the file",
        _ => e.GetType().Name,
    };
}
