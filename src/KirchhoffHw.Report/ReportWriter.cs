using KirchhoffHw.Generate.Templating;
using KirchhoffHw.Model.IO;
using KirchhoffHw.Model.Text;

namespace KirchhoffHw.Report;

/// <summary>
/// Writes a report as report.json, report.md (figures as plots/*.png beside it) and a self-contained report.html
/// (figures embedded as data URIs, so it reads offline and prints whole). Each file is written atomically.
/// </summary>
public static class ReportWriter
{
    public static IReadOnlyList<string> Write(ChipReport report, string directory, TemplateSet? templates = null)
    {
        templates ??= TemplateSet.Default;
        var view = ReportView.Of(report);
        var written = new List<string>();
        var plots = report.Plots.Count > 0 ? OutputPath.CreateFolder(Path.Combine(directory, "plots")) : "";
        foreach (var plot in report.Plots)
        {
            var path = Path.Combine(plots, plot.FileName);
            AtomicFile.Write(path, s => s.Write(plot.Png));
            written.Add(path);
        }
        var json = Path.Combine(directory, "report.json");
        AtomicFile.Write(json, s => ReportJson.Write(s, report));
        var md = Path.Combine(directory, "report.md");
        AtomicFile.WriteText(md, w => templates.Render("report/report.md.sbn", view, w, new MarkdownEscaper()));
        var html = Path.Combine(directory, "report.html");
        AtomicFile.WriteText(html, w => templates.Render("report/report.html.sbn", view, w));
        written.AddRange([json, md, html]);
        return written;
    }
}
