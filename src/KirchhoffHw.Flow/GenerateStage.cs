using System.Diagnostics;
using KirchhoffHw.Cells;
using KirchhoffHw.Generate;
using KirchhoffHw.Generate.Dialects.Ngspice;
using KirchhoffHw.Generate.Dialects.VerilogAms;
using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;
using KirchhoffHw.Reference;

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
}

/// <summary>What a `generate` wrote.</summary>
public sealed record GenerateResult(Fidelity Fidelity, string? DeckPath, DeckSummary? Deck, TimeSpan DeckTime, PhysicalMapping? Mapping,
    (string Csv, string Json)? MappingFiles, IReadOnlyList<string> VerilogAmsFiles);

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
        if (q.Fidelity != Fidelity.Ideal) _ = cells.Technology;
        var (lowered, mapping) = cells.Lower(design, q.Fidelity,
            q.Fidelity == Fidelity.Ideal ? null : ReferenceRun.Solve(design, q.Inputs, q.Reference, CellStage.RangeTimes(design), q.Solver, cancel));
        string? deckPath = null;
        DeckSummary? deck = null;
        var deckTime = TimeSpan.Zero;
        (string, string)? mappingFiles = null;
        if (q.Format is OutputFormat.Spice or OutputFormat.All)
        {
            deckPath = q.Format == OutputFormat.All ? Path.Combine(q.Output, Names.Identifier(design.Name) + ".cir") : q.Output;
            var clock = Stopwatch.StartNew();
            deck = WriteDeck(lowered, q.Spice with
            {
                Input = input,
                Notes = [$"source: {q.Source}", q.Inputs.Count == 0 ? "input: none (all nodes start at 0 V)" : $"input: case {q.Case} of {q.InputOrigin}"],
            }, deckPath);
            deckTime = clock.Elapsed;
            if (mapping is not null) mappingFiles = mapping.Write(Path.ChangeExtension(deckPath, null));
        }
        var verilog = q.Format is OutputFormat.VerilogAms or OutputFormat.All ? WriteVerilogAms(design, input, q.Output) : [];
        return new GenerateResult(q.Fidelity, deckPath, deck, deckTime, mapping, mappingFiles, verilog);
    }

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
