namespace KirchhoffHw.Simulate.Ngspice;

/// <summary>
/// Reads a status out of ngspice's output. Both backends print the same messages (the batch program on
/// stdout/stderr, the shared library through SendChar with a "stderr " prefix), so one classifier serves both.
/// </summary>
internal static class NgspiceLog
{
    // ngspice 39 evidence: "doAnalyses: TRAN:  Timestep too small; ..." then "run simulation(s) aborted" when the
    // transient gives up; "Error: Transient op failed, timestep too small" when the operating point does.
    // "Warning: singular matrix" alone is not a failure: gmin/source stepping prints it and may still recover.
    private static readonly string[] ConvergenceMarkers =
    [
        "timestep too small", "simulation(s) aborted", "transient op failed", "iteration limit reached",
        "no convergence",
    ];

    // "Error on line N ..." and "Error: circuit not parsed." for syntax errors; unknown models/subcircuits follow.
    private static readonly string[] DeckMarkers =
    [
        "error on line", "circuit not parsed", "unknown subckt", "could not find a valid modelname",
        "there aren't any circuits loaded", "no circuit loaded", "unknown device", "syntax error",
        "undefined parameter",
    ];

    public static (SimulationStatus Status, string? Message) Classify(string log)
    {
        var lines = log.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (FirstLine(lines, ConvergenceMarkers) is { } conv)
        {
            // the net ngspice could not converge ("...: trouble with node "x"") often comes on a later line than the first marker
            if (!conv.Contains("trouble with node", StringComparison.OrdinalIgnoreCase) && FirstLine(lines, ["trouble with node"]) is { } node)
                conv += "; " + node;
            return (SimulationStatus.ConvergenceFailure, conv);
        }
        if (FirstLine(lines, DeckMarkers) is { } deck) return (SimulationStatus.DeckError, deck);
        if (lines.FirstOrDefault(IsErrorLine) is { } error) return (SimulationStatus.DeckError, Clean(error));
        return (SimulationStatus.Ok, null);
    }

    private static bool IsErrorLine(string line)
    {
        var text = StripPrefix(line);
        return text.StartsWith("Error", StringComparison.OrdinalIgnoreCase);
    }

    private static string? FirstLine(string[] lines, string[] markers)
    {
        foreach (var line in lines)
            foreach (var marker in markers)
                if (line.Contains(marker, StringComparison.OrdinalIgnoreCase)) return Clean(line);
        return null;
    }

    private static string StripPrefix(string line) =>
        line.StartsWith("stderr ", StringComparison.Ordinal) ? line[7..] :
        line.StartsWith("stdout ", StringComparison.Ordinal) ? line[7..] : line;

    private static string Clean(string line) => StripPrefix(line).Trim();

    /// <summary>
    /// Names ngspice may use for a requested vector: itself, then the bare node of "v(x)" (shared-library plots
    /// name node voltages "x") and "x#branch" for "i(x)".
    /// </summary>
    public static IEnumerable<string> Candidates(string requested)
    {
        var name = requested.Trim().ToLowerInvariant();
        yield return name;
        if (name.Length > 3 && name[1] == '(' && name[^1] == ')')
        {
            var inner = name[2..^1].Trim();
            if (name[0] == 'v') yield return inner;
            if (name[0] == 'i') yield return inner + "#branch";
        }
    }
}
