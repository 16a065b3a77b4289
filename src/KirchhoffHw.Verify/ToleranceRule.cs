namespace KirchhoffHw.Verify;

/// <summary>
/// What a verification holds each case's errors to, SPICE's own rule: the outputs (logits, samples, regression
/// values) absolutely at the task tolerance; every state along the way (layer boundaries, interior samples) to
/// <c>atol + rtol x scale</c>, scale = the largest |reference state| of that case, because a circuit computes a large
/// state to the same relative accuracy as a small one; the initial state to the input, absolutely.
/// </summary>
/// <param name="Output">Largest |circuit - reference| of an output, model units.</param>
/// <param name="StateAtol">Absolute part of a state's bound, model units.</param>
/// <param name="StateRtol">Relative part of a state's bound, a fraction of the case's largest |reference state|.</param>
/// <param name="Initial">Largest |v(0) - input|: simulators are known to drop initial conditions.</param>
public sealed record ToleranceRule(double Output, double StateAtol, double StateRtol, double Initial)
{
    /// <summary>The rule of verdicts written before states had bounds of their own: every error absolute at the one tolerance.</summary>
    public static ToleranceRule Absolute(double tolerance, double initial) => new(tolerance, tolerance, 0, initial);

    /// <summary>The bounds of one case whose largest |reference state| is <paramref name="stateScale"/>.</summary>
    public ErrorBounds For(double stateScale) => new(Initial, StateRtol == 0 ? StateAtol : StateAtol + StateRtol * stateScale, Output, stateScale);

    public string Describe() => StateRtol == 0
        ? System.FormattableString.Invariant($"every state and output within {Output:G3} (absolute)")
        : System.FormattableString.Invariant($"outputs within {Output:G3}; states within {StateAtol:G3} + {StateRtol:G3} x the case's largest |state|");
}

/// <summary>The bounds one case's errors were held to (model units), and the scale its state bound grew with.</summary>
/// <param name="State">Bound of the boundary and trajectory errors: atol + rtol x <paramref name="StateScale"/>.</param>
/// <param name="StateScale">The case's largest |reference state| over the input, the boundaries and the samples; NaN when unknown.</param>
public sealed record ErrorBounds(double Initial, double State, double Output, double StateScale);
