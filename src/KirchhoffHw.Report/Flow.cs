using System.Diagnostics;
using KirchhoffHw.Cells;
using KirchhoffHw.Generate;
using KirchhoffHw.Generate.Dialects.Ngspice;
using KirchhoffHw.Generate.Dialects.VerilogAms;
using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;
using KirchhoffHw.Simulate;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Report;

/// <summary>Progress of one stage of the flow: done of total steps, with an optional note (a case's verdict).</summary>
public readonly record struct FlowProgress(string Stage, int Done, int Total, string? Note = null);

/// <summary>Everything one run of the flow needs, already parsed and checked.</summary>
public sealed record FlowPlan
{
    /// <summary>The design in the chosen units.</summary>
    public required Design Design { get; init; }
    public required string Source { get; init; }
    public required IReadOnlyList<double[]> Inputs { get; init; }
    public required string InputOrigin { get; init; }
    public int? Seed { get; init; }
    public required string TechPath { get; init; }
    public required string OutputDirectory { get; init; }
    public required string Command { get; init; }
    public IReadOnlyList<Fidelity> Fidelities { get; init; } = [Fidelity.Ideal];

    /// <summary>False: generate and report, but simulate nothing (the report says verification was not run).</summary>
    public bool Verify { get; init; } = true;
    public VerifyOptions VerifyOptions { get; init; } = VerifyOptions.Default;
    public required Func<ISpiceSimulator> Simulators { get; init; }
    public int Jobs { get; init; } = Environment.ProcessorCount;
    public double DigitalTolerance { get; init; } = 1e-3;
    public DateTimeOffset Generated { get; init; } = DateTimeOffset.UtcNow;
}

/// <summary>What a run of the flow left behind: the report, every file written and how long each stage took.</summary>
public sealed record FlowResult(ChipReport Report, IReadOnlyList<string> Files, IReadOnlyList<(string Stage, TimeSpan Elapsed)> Stages, string HtmlPath);

/// <summary>
/// The one-command pipeline: technology and cells, generate (deck per fidelity + Verilog-AMS), verify per
/// fidelity, report. A failed verification is part of the result, never an exception: the report shows it.
/// </summary>
public static class FlowRunner
{
    public static FlowResult Run(FlowPlan plan, Action<FlowProgress>? progress = null, CancellationToken cancel = default)
    {
        var design = plan.Design;
        var files = new List<string>();
        var stages = new List<(string, TimeSpan)>();
        var clock = Stopwatch.StartNew();
        void Done(string stage) { stages.Add((stage, clock.Elapsed)); clock.Restart(); }
        string name = Names.Identifier(design.Name);
        var out_ = plan.OutputDirectory;

        progress?.Invoke(new("technology", 0, 1, "characterizing cells (cached after the first run)"));
        var tech = Technology.Load(plan.TechPath);
        var (library, mapping) = Cells(tech, design, plan.Inputs);
        progress?.Invoke(new("technology", 1, 1, tech.Name));
        Done("technology");

        var lowered = plan.Fidelities.Distinct().ToDictionary(f => f, f => Lowering.Lower(design, f, library, mapping.Ranges));
        int steps = lowered.Count + 1;
        progress?.Invoke(new("generate", 0, steps));
        double[] first = plan.Inputs.Count > 0 ? plan.Inputs[0] : [];
        int step = 0;
        foreach (var (fidelity, low) in lowered)
        {
            var path = Path.Combine(out_, $"{name}.{Lower(fidelity)}.cir");
            var spice = low.Apply(plan.VerifyOptions.Spice with
            {
                Input = first,
                Notes = [$"source: {plan.Source}", $"fidelity: {Lower(fidelity)}", first.Length == 0 ? "input: none" : $"input: case 0 of {plan.InputOrigin}"],
            });
            AtomicFile.WriteText(path, w => new NgspiceEmitter().Write(low.Circuit, spice, w));
            files.Add(path);
            progress?.Invoke(new("generate", ++step, steps, Path.GetFileName(path)));
        }
        files.AddRange(new VerilogAmsEmitter().WriteAll(design, VerilogAmsOptions.Default with { Input = first }, OutputPath.CreateFolder(Path.Combine(out_, "verilog-ams"))));
        progress?.Invoke(new("generate", ++step, steps, "verilog-ams"));
        Done("generate");

        var runs = new List<VerificationRun>();
        foreach (var (fidelity, low) in lowered)
        {
            string f = Lower(fidelity);
            if (!plan.Verify || plan.Inputs.Count == 0)
            {
                runs.Add(new VerificationRun(f, null, plan.Inputs.Count == 0 ? "not run: no inputs" : "not run: the flow was asked not to simulate (--no-verify)"));
                continue;
            }
            string stage = $"verify {f}";
            progress?.Invoke(new(stage, 0, plan.Inputs.Count));
            // As `verify --fidelity` does: the lowered circuit against the ideal reference, rails checked for MOS cells.
            var options = plan.VerifyOptions with
            {
                Circuit = low.Circuit,
                Fidelity = fidelity == Fidelity.Ideal ? f : $"{f} ({tech.Name}, {tech.Corner})",
                Rails = fidelity == Fidelity.Ideal ? null : (tech.Vss, tech.Vdd),
                Spice = low.Apply(plan.VerifyOptions.Spice),
            };
            var verdictPath = Path.Combine(out_, $"verdict.{f}.json");
            var result = new Verifier(design, options, plan.Simulators, plan.Jobs, plan.Source).Run(plan.Inputs, verdictPath + ".journal.jsonl",
                new Sync(p => progress?.Invoke(new(stage, p.Done, p.Total, p.Stage == "reference" ? "reference" : p.Last is { } l ? $"case {l.Index}: {(l.Pass ? "pass" : "FAIL")}" : null))), cancel);
            VerdictJson.Save(verdictPath, result);
            Journal.Delete(verdictPath + ".journal.jsonl");
            files.Add(verdictPath);
            runs.Add(new VerificationRun(f, result, VerdictFile: Path.GetFileName(verdictPath)));
            Done(stage);
        }

        progress?.Invoke(new("report", 0, 1, "reference, estimates, plots"));
        var report = ReportBuilder.Build(TechnologyInputs.Request(design, plan.Source, tech, library, mapping, plan.Inputs, Repro(plan)) with
        {
            Verification = runs,
            DigitalTolerance = plan.DigitalTolerance,
            Reference = plan.VerifyOptions.Reference,
            Generated = plan.Generated,
        }, cancel);
        files.AddRange(ReportWriter.Write(report, out_));
        progress?.Invoke(new("report", 1, 1));
        Done("report");
        return new FlowResult(report, files, stages, Path.Combine(out_, "report.html"));
    }

    public static string Lower(Fidelity f) => f.ToString().ToLowerInvariant();

    /// <summary>
    /// The technology's cells, characterized (or read from the cache) and fitted over the range the design's node
    /// voltages reach on these inputs, as `verify --fidelity` builds them; and the per-device mapping onto them.
    /// </summary>
    public static (CellLibrary Library, PhysicalMapping Mapping) Cells(Technology tech, Design design, IReadOnlyList<double[]> inputs)
    {
        var range = OperatingRange.Of(design, inputs);
        var library = CellLibrary.Build(tech, new Characterizer(tech));
        return (library, new PhysicalMapping(design, library, range));
    }

    public static Reproducibility Repro(FlowPlan plan)
    {
        var s = plan.VerifyOptions;
        return new Reproducibility(plan.Command, plan.InputOrigin, plan.Seed, plan.Inputs,
        [
            ("fidelities", string.Join(",", plan.Fidelities.Select(Lower))),
            ("technology", Path.GetFileName(plan.TechPath)),
            ("reference", $"{s.Reference.Method} rtol={s.Reference.RelTol:R} atol={s.Reference.AbsTol:R}"),
            ("deck", $"style={s.Spice.Style} max_step_fraction={s.Spice.MaxStepFraction:R} options={string.Join(",", s.Spice.SimulatorOptions.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => k.Key + "=" + k.Value))}"),
            ("verify", $"tolerance={(s.Tolerance is { } t ? t.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "per task")} samples_per_layer={s.SamplesPerLayer}"),
            ("digital tolerance", plan.DigitalTolerance.ToString("R", System.Globalization.CultureInfo.InvariantCulture)),
        ]);
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool and race the bar).</summary>
    private sealed class Sync(Action<VerifyProgress> report) : IProgress<VerifyProgress>
    {
        public void Report(VerifyProgress value) => report(value);
    }
}
