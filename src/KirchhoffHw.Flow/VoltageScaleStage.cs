using KirchhoffHw.Cells;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;
using KirchhoffHw.Report;

namespace KirchhoffHw.Flow;

/// <summary>
/// `--voltage-scale auto`: volts per model unit from the design's own dynamic range, the largest |state| its reference
/// reaches on the run's inputs (at its layer ends and every time it recorded), so that every node stays a stated margin inside the technology's rails (the default
/// technology's when none is named: an ideal circuit needs no cells, but its nodes still need a supply).
/// </summary>
public static class VoltageScaleStage
{
    public const double DefaultMargin = 0.1;

    /// <summary>The times a reference must record for <see cref="Choose"/>: the report's fine grid over every layer.</summary>
    public static IReadOnlyList<double> Times(Design design) => OperatingPoint.Grid(design);

    /// <summary>The voltage scale that puts the reference's largest |state| at (1 - margin) of the rails' allowed swing.</summary>
    public static VoltageScaleChoice Choose(ReferenceRun reference, Technology technology, double margin)
    {
        if (reference.Inputs.Count == 0)
            throw new KirchhoffHwException("<options>", "--voltage-scale auto chooses the scale from the states the inputs reach: give --inputs FILE or --random N");
        for (int i = 0; i < reference.Inputs.Count; i++)
            if (reference.Cases[i] is null)
                throw new KirchhoffHwException("<options>", $"--voltage-scale auto: the reference cannot follow input {i} ({reference.Failures[i]}), so its states are unknown");
        double peak = 0;
        var initial = new double[reference.Design.NodeCount];
        for (int i = 0; i < reference.Inputs.Count; i++)
        {
            reference.Design.Input.Apply(reference.Inputs[i], initial);
            peak = Math.Max(peak, initial.Select(Math.Abs).DefaultIfEmpty(0).Max());
            // Layer ends too: a run may record only interior times, and a state often peaks where its slice ends.
            foreach (var b in reference.Cases[i]!.Boundaries) peak = Math.Max(peak, b.State.Select(Math.Abs).DefaultIfEmpty(0).Max());
            foreach (var t in reference.SampleTimes) peak = Math.Max(peak, reference.StateAt(i, t).Select(Math.Abs).DefaultIfEmpty(0).Max());
        }
        double swing = technology.Vss < 0 ? Math.Min(technology.Vdd, -technology.Vss) : technology.Vdd;
        return VoltageScaleChoice.Fit(peak, swing, margin, technology.Name);
    }

    /// <summary>The run at the chosen scale: the design's units and the reference rebound to them (no second solve).</summary>
    public static (Design Design, ReferenceRun Reference, VoltageScaleChoice Choice) Apply(ReferenceRun reference, Technology technology, double margin)
    {
        var choice = Choose(reference, technology, margin);
        var moved = reference.WithUnits(reference.Design.Units with { VoltageScale = choice.Volts });
        return (moved.Design, moved, choice);
    }
}
