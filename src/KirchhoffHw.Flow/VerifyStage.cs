using KirchhoffHw.Cells;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;
using KirchhoffHw.Reference;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Flow;

/// <summary>One verification: a circuit at its fidelity held against what its design must compute, on the reference's inputs.</summary>
public sealed record VerifyRequest
{
    /// <summary>The design: what the circuit must compute (the reference always runs its trained laws).</summary>
    public required Design Design { get; init; }

    /// <summary>The circuit: the design lowered to a fidelity (fitted cell laws, or a transistor netlist), or the design itself.</summary>
    public required Lowered Circuit { get; init; }

    /// <summary>The reference on the inputs, solved once by the caller at <see cref="VerifyOptions.Reference"/>, recording at least <see cref="Verifier.SampleTimes"/>.</summary>
    public required ReferenceRun Reference { get; init; }

    public VerifyOptions Options { get; init; } = VerifyOptions.Default;
    public string Source { get; init; } = "";

    /// <summary>Where the verdict is written; its journal (finished cases, for resuming) lives beside it until the run completes. Null = not written.</summary>
    public string? VerdictPath { get; init; }

    /// <summary>Forget an interrupted run's journal instead of resuming it.</summary>
    public bool Fresh { get; init; }
}

/// <summary>
/// The verify stage every verb shares (`verify`, `flow`): the circuit's options from its fidelity (the lowered circuit,
/// its netlist, its rails), the cases through <see cref="Verifier"/> on a backend, wherever the case runner puts them,
/// and the verdict file. The pass rule is the verifier's; this stage only wires.
/// </summary>
public sealed class VerifyStage(CoSimBackend backend, ICaseRunner runner)
{
    public CoSimBackend Backend { get; } = backend;
    public ICaseRunner Runner { get; } = runner;

    public static string JournalOf(string verdictPath) => verdictPath + ".journal.jsonl";

    public VerifyReport Run(VerifyRequest q, IProgress<VerifyProgress>? progress = null, CancellationToken cancel = default)
    {
        var options = OptionsFor(q.Circuit, q.Options);
        var journal = q.VerdictPath is null ? null : JournalOf(q.VerdictPath);
        if (q.Fresh && journal is not null) Journal.Delete(journal);
        var report = new Verifier(q.Design, options, Backend, Runner, q.Source).Run(q.Reference, journal, progress, cancel);
        if (q.VerdictPath is not null)
        {
            VerdictJson.Save(q.VerdictPath, report);
            Journal.Delete(journal!);
        }
        return report;
    }

    /// <summary>The verification's options for a circuit: the lowered laws (or netlist), its fidelity and its rails.</summary>
    public static VerifyOptions OptionsFor(Lowered circuit, VerifyOptions options) => options with
    {
        Circuit = circuit.Circuit,
        Fidelity = circuit.Built,
        Rails = circuit.Rails,
        Spice = circuit.Apply(options.Spice),
    };

    /// <summary>
    /// Macro fidelity judged in software, for designs too large for a simulator case by case: the fitted cell laws
    /// solved with the reference's own solver against it, judged by the same task rule.
    /// </summary>
    public static SoftwareVerdict RunSoftware(VerifyRequest q, string inputOrigin, IReferenceSolver? solver = null, CancellationToken cancel = default)
    {
        if (q.Circuit.Fidelity != Fidelity.Macro)
            throw new KirchhoffHwException("<options>", "--backend reference solves the fitted cell laws in software: it needs --fidelity macro");
        var comparison = SoftwareComparison.Against(q.Reference, q.Circuit.Circuit, CircuitFidelity.KeyOf(q.Circuit.Fidelity), solver, cancel);
        var verdict = SoftwareVerdict.Judge(comparison, q.Options, q.Design.Units, q.Circuit.Rails!.Value, inputOrigin);
        if (q.VerdictPath is not null) verdict.Save(q.VerdictPath);
        return verdict;
    }
}
