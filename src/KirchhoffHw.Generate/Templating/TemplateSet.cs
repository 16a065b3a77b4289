using System.Collections.Concurrent;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Text;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;

namespace KirchhoffHw.Generate.Templating;

/// <summary>
/// The Scriban templates under `templates/`. Templates only lay text out: every name and number they print
/// was computed and escaped in C# first. Strict variables make a misspelt variable an error, partials
/// (`_*.sbn`) are included by relative path, and a template that does not parse is reported with its file
/// and line when it loads, not as broken output later.
/// </summary>
public sealed class TemplateSet
{
    private readonly ConcurrentDictionary<string, Template> _cache = new();

    public string Root { get; }

    public TemplateSet(string root)
    {
        if (!Directory.Exists(root))
            throw new KirchhoffHwException(root, "template directory not found (set KIRCHHOFFHW_TEMPLATES or pass --templates)");
        Root = Path.GetFullPath(root);
    }

    /// <summary>`KIRCHHOFFHW_TEMPLATES` if set, else the `templates/` folder shipped beside the assembly.</summary>
    /// <remarks>Found on first use, so a missing folder is a bad-input error where a template is needed, not a type-initializer failure.</remarks>
    public static TemplateSet Default => _default.Value;

    private static readonly Lazy<TemplateSet> _default = new(() => new(
        Environment.GetEnvironmentVariable("KIRCHHOFFHW_TEMPLATES") is { Length: > 0 } env ? env
            : Path.Combine(AppContext.BaseDirectory, "templates")));

    public Template Get(string relativePath) => _cache.GetOrAdd(relativePath, Load);

    private Template Load(string relativePath)
    {
        var path = Path.Combine(Root, relativePath);
        if (!File.Exists(path)) throw new KirchhoffHwException(path, "template not found");
        var template = Template.Parse(File.ReadAllText(path), path);
        if (template.HasErrors)
            throw new KirchhoffHwException(template.Messages.Select(m =>
                new Diagnostic(new SourceLocation(path, m.Span.Start.Line + 1, m.Span.Start.Column + 1), m.Message)).ToList());
        return template;
    }

    /// <summary>
    /// Renders a template straight into <paramref name="output"/> (decks can be tens of megabytes). With
    /// <paramref name="markdown"/>, every value the template interpolates is escaped for where it lands in the
    /// Markdown written so far, so text from a design cannot become markup.
    /// </summary>
    public void Render(string relativePath, object model, TextWriter output, MarkdownEscaper? markdown = null)
    {
        var template = Get(relativePath);
        var globals = new ScriptObject();
        globals.Import(model, renamer: m => StandardMemberRenamer.Rename(m));
        var context = markdown is null ? new TemplateContext() : new EscapingContext(markdown);
        context.StrictVariables = true;
        context.TemplateLoader = new Loader(this, Path.GetDirectoryName(relativePath) ?? "");
        context.MemberRenamer = m => StandardMemberRenamer.Rename(m);
        context.LoopLimit = int.MaxValue;
        context.LimitToString = 0;
        context.RecursiveLimit = 50;
        context.NewLine = "\n";
        context.PushCulture(System.Globalization.CultureInfo.InvariantCulture);
        context.PushGlobal(globals);
        context.PushOutput(new TextWriterOutput(markdown is null ? output : new ObservedWriter(output, markdown)));
        try
        {
            template.Render(context);
        }
        catch (Scriban.Syntax.ScriptRuntimeException e)
        {
            throw new KirchhoffHwException(new SourceLocation(e.Span.FileName ?? relativePath, e.Span.Start.Line + 1, e.Span.Start.Column + 1),
                $"template error: {e.OriginalMessage}", e);
        }
    }

    /// <summary>Escapes each interpolated string value; template text is written as it is.</summary>
    private sealed class EscapingContext(MarkdownEscaper markdown) : TemplateContext
    {
        public override TemplateContext Write(SourceSpan span, object? textAsObject) =>
            base.Write(span, textAsObject is string text ? markdown.Escape(text) : textAsObject);
    }

    /// <summary>Shows the escaper everything written, so it knows whether the next value lands in code or a table.</summary>
    private sealed class ObservedWriter(TextWriter inner, MarkdownEscaper markdown) : TextWriter
    {
        public override System.Text.Encoding Encoding => inner.Encoding;
        public override void Write(char value) { markdown.Observe([value]); inner.Write(value); }
        public override void Write(char[] buffer, int index, int count) { markdown.Observe(buffer.AsSpan(index, count)); inner.Write(buffer, index, count); }
        public override void Write(ReadOnlySpan<char> buffer) { markdown.Observe(buffer); inner.Write(buffer); }
        public override void Write(string? value) { markdown.Observe(value); inner.Write(value); }
        public override void Flush() => inner.Flush();
    }

    private sealed class Loader(TemplateSet set, string directory) : ITemplateLoader
    {
        public string? GetPath(TemplateContext context, SourceSpan callerSpan, string templateName) =>
            Path.Combine(directory, templateName);

        public string? Load(TemplateContext context, SourceSpan callerSpan, string templatePath)
        {
            var path = Path.Combine(set.Root, templatePath);
            if (!File.Exists(path)) throw new KirchhoffHwException(path, "included template not found");
            return File.ReadAllText(path);
        }

        public ValueTask<string?> LoadAsync(TemplateContext context, SourceSpan callerSpan, string templatePath) =>
            ValueTask.FromResult<string?>(Load(context, callerSpan, templatePath));
    }
}
