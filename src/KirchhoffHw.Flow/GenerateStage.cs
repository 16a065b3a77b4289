using System.Diagnostics;
using KirchhoffHw.Cells;
using KirchhoffHw.Generate;
using KirchhoffHw.Generate.Dialects.Ngspice;
using KirchhoffHw.Generate.Dialects.VerilogAms;
using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;
using KirchhoffHw.Reference;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Flow;

/// <summary>What `generate` writes: an ngspice deck, Verilog-AMS, or both.</summary>
public enum OutputFormat { Spice, VerilogAms, All }

/// <summary>One `generate`: a design at a fidelity, started at one input, written in one or both formats.</summary>
public sealed record GenerateRequest
{
    public required Design Design { get; init; }
    public required string Source { get; init; }
    public Fidelity Fidelity { get; init; } = Fidelity.Ideal;
    /// <summary>The technology for MOS fidelities; null = the shipped default.</summary>
    public string? TechPath { get; init; }
    /// <summary>Every input given: the cells are fitted over the range the reference reaches on all of them.</summary>
    public IReadOnlyList<double[]> Inputs { get; init; } = [];
    public string InputOrigin { get; init; } = "none";
    /// <summary>Which input becomes the initial state (none given: every node starts at 0 V).</summary>
    public int Case { get; init; }
    public OutputFormat Format { get; init; } = OutputFormat.Spice;
    public SpiceOptions Spice { get; init; } = SpiceOptions.Default;
    /// <summary>The deck file for <see cref="OutputFormat.Spice"/>, a directory otherwise.</summary>
    public required string Output { get; init; }
    /// <summary>The solver of the reference that gives the cells' operating range.</summary>
    public SolverOptions Reference { get; init; } = SolverOptions.Golden;
    public IReferenceSolver Solver { get; init; } = ReferenceSolver.Default;
    public Func<Technology, ICharacterizer>? Characterizers { get; init; }

    /// <summary>`--voltage-scale auto`: the margin inside the technology's rails; null = the design's voltage scale as given.</summary>
    public double? AutoVoltageMargin { get; init; }

    /// <summary>What a verification would hold the deck to: the simulator's error control is derived from it (<see cref="AccuracyRule"/>).</summary>
    public Verify.ToleranceRule? Bounds { get; init; }
}

/// <summary>What a `generate` wrote, at which units and with which simulator tolerances.</summary>
public sealed record GenerateResult(Fidelity Fidelity, string? DeckPath, DeckSummary? Deck, TimeSpan DeckTime, PhysicalMapping? Mapping,
    (string Csv, string Json)? MappingFiles, IReadOnlyList<string> VerilogAmsFiles, Units Units, VoltageScaleChoice? VoltageScale, DeckAccuracy Accuracy);

/// <summary>The generate stage: a circuit's ngspice deck at its fidelity (with the cell mapping beside a MOS deck) and its Verilog-AMS.</summary>
public static class GenerateStage
{
    public static GenerateResult Run(GenerateRequest q, CancellationToken cancel = default)
    {
        var design = q.Design;
        if (q.Inputs.Count > 0 && (q.Case < 0 || q.Case >= q.Inputs.Count))
            throw new KirchhoffHwException("<options>", $"--case {q.Case} is out of range: there are {q.Inputs.Count} inputs");
        if (q.Fidelity != Fidelity.Ideal && q.Format != OutputFormat.Spice)
            throw new KirchhoffHwException("<options>", $"--fidelity {CircuitFidelity.KeyOf(q.Fidelity)} is written as an ngspice deck only: use --format spice");
        double[] input = q.Inputs.Count == 0 ? [] : q.Inputs[q.Case];
        var cells = new CellStage(q.TechPath, q.Characterizers);
        // A bad technology file is bad input: refused before any work.
        if (q.Fidelity != Fidelity.Ideal || q.AutoVoltageMargin is not null) _ = cells.Technology;
        if (q.AutoVoltageMargin is not null && q.Inputs.Count == 0)
            throw new KirchhoffHwException("<options>", "--voltage-scale auto chooses the scale from the states the inputs reach: give --inputs FILE or --random N");
        // One reference on every input (without inputs, the zero state the deck starts from): the cells' operating range,
        // the automatic voltage scale and the simulator's tolerances all read it.
        IReadOnlyList<double[]> solved = q.Inputs.Count > 0 ? q.Inputs : [new double[design.Input.Width]];
        var times = (q.Fidelity == Fidelity.Ideal ? [] : CellStage.RangeTimes(design)).Concat(q.AutoVoltageMargin is null ? [] : VoltageScaleStage.Times(design));
        var reference = ReferenceRun.Solve(design, solved, q.Reference, times, q.Solver, cancel);
        VoltageScaleChoice? scale = null;
        if (q.AutoVoltageMargin is { } margin) (design, reference, scale) = VoltageScaleStage.Apply(reference, cells.Technology, margin);
        var spice = AccuracyRule.Apply(q.Spice, reference, q.Bounds ?? Verify.VerifyOptions.Default.RuleFor(design.Task));
        var (lowered, mapping) = cells.Lower(design, q.Fidelity, q.Fidelity == Fidelity.Ideal ? null : reference);
        string? deckPath = null;
        DeckSummary? deck = null;
        var deckTime = TimeSpan.Zero;
        (string, string)? mappingFiles = null;
        if (q.Format is OutputFormat.Spice or OutputFormat.All)
        {
            deckPath = q.Format == OutputFormat.All ? Path.Combine(q.Output, Names.Identifier(design.Name) + ".cir") : q.Output;
            var clock = Stopwatch.StartNew();
            deck = WriteDeck(lowered, spice with
            {
                Input = input,
                Notes = [$"source: {q.Source}", q.Inputs.Count == 0 ? "input: none (all nodes start at 0 V)" : $"input: case {q.Case} of {q.InputOrigin}", .. ScaleNote(scale)],
            }, deckPath);
            deckTime = clock.Elapsed;
            if (mapping is not null) mappingFiles = mapping.Write(Path.ChangeExtension(deckPath, null));
        }
        var verilog = q.Format is OutputFormat.VerilogAms or OutputFormat.All ? WriteVerilogAms(design, input, q.Output) : [];
        return new GenerateResult(q.Fidelity, deckPath, deck, deckTime, mapping, mappingFiles, verilog, design.Units, scale, spice.Accuracy!);
    }

    /// <summary>The deck-header line that says how an automatic voltage scale was chosen (none when it was given).</summary>
    public static IEnumerable<string> ScaleNote(VoltageScaleChoice? scale) => scale is null ? [] : [scale.Describe()];

    /// <summary>Writes one circuit's ngspice deck, atomically.</summary>
    public static DeckSummary WriteDeck(Lowered lowered, SpiceOptions spice, string path)
    {
        DeckSummary? summary = null;
        AtomicFile.WriteText(path, w => summary = new NgspiceEmitter().Write(lowered.Circuit, lowered.Apply(spice), w));
        return summary!;
    }

    /// <summary>Writes the design's Verilog-AMS (device library, top, testbench started at <paramref name="input"/>) into a directory.</summary>
    public static IReadOnlyList<string> WriteVerilogAms(Design design, double[] input, string directory) =>
        new VerilogAmsEmitter().WriteAll(design, VerilogAmsOptions.Default with { Input = input }, OutputPath.CreateFolder(directory));
}
