using System.Globalization;
using KirchhoffHw.Generate;
using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;

namespace KirchhoffHw.Verify;

/// <summary>
/// The simulator's default error control, derived from the design's reference on the run's inputs and the bounds the
/// verification holds it to, never from which checkpoint it is. The rule and the measurements behind it are in
/// docs/verification.md.
/// </summary>
public static class AccuracyRule
{
    /// <summary>
    /// ngspice's trapezoidal error control holds every node's local truncation error to trtol x reltol x its own
    /// magnitude, so over a run a node's error grows as its magnitude x reltol^(2/3) (a step is h ~ (trtol reltol)^(1/3)):
    /// an output's error follows the output's size, not the largest state elsewhere in the network. Measured at trtol
    /// 0.15 and reltol 1e-4 to 2e-7 (docs/verification.md), the largest error over a design's cases stayed below
    /// <see cref="ErrorConstant"/> x reltol^(2/3) x (the largest |output|) for outputs, and x (the largest |state|) for
    /// states, on twomoon, mnist, spiral, tiny and held-out ShiftTanh2 models of 4 and 8 slices (largest: 0.31, twomoon's
    /// outputs; mnist's logits 0.23 at the same trtol x reltol product).
    /// </summary>
    public const double ErrorConstant = 0.4;

    public const double TrTol = 0.15;

    /// <summary>
    /// Loosest and tightest reltol the rule gives: 1e-4 is the loosest measured (ngspice's default 1e-3 lets a
    /// Newton solution stop short of a 1e-3 output), and below 1e-8 double precision runs out on a thousand-step run.
    /// </summary>
    public const double Loosest = 1e-4, Tightest = 1e-8;

    /// <summary>
    /// The error control for a deck whose outputs and states are held to <paramref name="bounds"/>, from the reference on
    /// the run's inputs: its outputs, and its states at the input and every layer boundary (times every run records, so
    /// `generate`, `verify` and `flow` choose alike on the same inputs).
    /// </summary>
    public static DeckAccuracy For(ReferenceRun reference, ToleranceRule bounds)
    {
        var design = reference.Design;
        var initial = new double[design.NodeCount];
        double output = 0, state = 0;
        for (int i = 0; i < reference.Inputs.Count; i++)
        {
            if (reference.Cases[i] is not { } c) continue;
            design.Input.Apply(reference.Inputs[i], initial);
            output = Math.Max(output, c.Output.Select(Math.Abs).DefaultIfEmpty(0).Max());
            state = Math.Max(state, initial.Concat(c.Boundaries.SelectMany(b => b.State)).Select(Math.Abs).DefaultIfEmpty(0).Max());
        }
        return For(output, state, bounds);
    }

    /// <summary>
    /// reltol = (bound / magnitude)^(3/2) for the outputs and for the states, the smaller of the two, one 1-2-5 step down:
    /// the error it predicts is at most <see cref="ErrorConstant"/> x the bound, so the worst design measured keeps two
    /// thirds of its bound in reserve, and the 1-2-5 step adds more.
    /// </summary>
    /// <param name="largestOutput">Largest |output| of the reference over the run's inputs, model units.</param>
    /// <param name="largestState">Largest |state| it reaches, model units.</param>
    public static DeckAccuracy For(double largestOutput, double largestState, ToleranceRule bounds)
    {
        double stateBound = bounds.StateRtol == 0 ? bounds.StateAtol : bounds.StateAtol + bounds.StateRtol * largestState;
        double byOutput = largestOutput > 0 ? Math.Pow(bounds.Output / largestOutput, 1.5) : double.PositiveInfinity;
        double byState = largestState > 0 ? Math.Pow(stateBound / largestState, 1.5) : double.PositiveInfinity;
        double reltol = FloorToSeries(Math.Clamp(Math.Min(byOutput, byState), Tightest, Loosest));
        // Floors far below the output tolerance: a node crossing 0 V is held to them instead of to its own vanishing size.
        double floor = 1e-4 * bounds.Output;
        string basis = string.Format(CultureInfo.InvariantCulture,
            "derived (docs/verification.md): reltol {0:G3} = 1-2-5 step at or below min(({1:G3} / {2:G4})^1.5 for outputs up to {2:G4}, " +
            "({3:G3} / {4:G4})^1.5 for states up to {4:G4}), trtol {5:G3}, vntol {6:G3} and abstol, chgtol {7:G3} model units",
            reltol, bounds.Output, largestOutput, stateBound, largestState, TrTol, floor, 1e-2 * floor);
        return new DeckAccuracy(reltol, TrTol, floor, 1e-2 * floor, 1e-2 * floor, basis);
    }

    /// <summary>
    /// The error control a deck runs with: its accuracy with whatever its simulator options set over it (a user's
    /// --spice-option, a transistor deck's own options), so that a verdict records what ngspice was told. The floors
    /// are in model units, as <see cref="DeckAccuracy"/> keeps them (vntol / volts per unit, chgtol / (C x volts per
    /// unit), abstol / amperes per unit).
    /// </summary>
    public static DeckAccuracy? Effective(SpiceOptions spice, Units units)
    {
        if (spice.Accuracy is not { } a) return null;
        var set = new List<string>();
        double Read(string key, double derived, double scale)
        {
            if (!spice.SimulatorOptions.TryGetValue(key, out var text) || Numbers.ParseEngineering(text) is not { } v) return derived;
            set.Add($"{key} {text}");
            return v / scale;
        }
        var effective = a with
        {
            RelTol = Read("reltol", a.RelTol, 1),
            TrTol = Read("trtol", a.TrTol, 1),
            VoltageFloor = Read("vntol", a.VoltageFloor, units.VoltageScale),
            ChargeFloor = Read("chgtol", a.ChargeFloor, units.Capacitance * units.VoltageScale),
            CurrentFloor = Read("abstol", a.CurrentFloor, units.CurrentScale),
        };
        return set.Count == 0 ? a : effective with
        {
            Basis = $"{string.Join(", ", set)} set by the deck's simulator options (a transistor deck's own, or --spice-option) over the {a.Basis}",
        };
    }

    /// <summary>Deck options with the derived error control, unless the caller set one.</summary>
    public static SpiceOptions Apply(SpiceOptions spice, ReferenceRun reference, ToleranceRule bounds) =>
        spice.Accuracy is null ? spice with { Accuracy = For(reference, bounds) } : spice;

    /// <summary>The largest of 1, 2, 5 x 10^k at or below <paramref name="x"/>: decks read cleanly, and a rounding never loosens.</summary>
    public static double FloorToSeries(double x)
    {
        double decade = Math.Pow(10, Math.Floor(Math.Log10(x)));
        foreach (var m in new[] { 5.0, 2.0, 1.0 })
            if (m * decade <= x * (1 + 1e-12)) return m * decade;
        return decade;
    }
}
