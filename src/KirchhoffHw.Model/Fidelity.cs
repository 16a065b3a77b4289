namespace KirchhoffHw.Model;

/// <summary>
/// How physically a device is rendered, chosen per run. Each step is a lowering pass over the design
/// (ideal -> macro -> transistor), not a separate emitter.
/// </summary>
public enum Fidelity
{
    /// <summary>Every device law exact (behavioural sources).</summary>
    Ideal,
    /// <summary>Each device as its fitted cell's characterized I-V (a table per cell), fast enough for full designs.</summary>
    Macro,
    /// <summary>Every device as its transistor-level cell in the chosen technology.</summary>
    Transistor,
}

/// <summary>
/// A fidelity as a circuit was built at: ideal, or macro / transistor in a named technology and corner. Verdict
/// files record it as text (<see cref="ToString"/>, e.g. "macro (ptm45hp, typical)") and <see cref="Parse"/> reads it back.
/// </summary>
public sealed record CircuitFidelity
{
    public static readonly CircuitFidelity Ideal = new(Fidelity.Ideal, "", "");

    public Fidelity Kind { get; }
    /// <summary>The technology's name; empty at ideal fidelity.</summary>
    public string Technology { get; }
    public string Corner { get; }

    private CircuitFidelity(Fidelity kind, string technology, string corner) => (Kind, Technology, Corner) = (kind, technology, corner);

    /// <summary>A MOS fidelity in a technology; <see cref="Ideal"/> for <see cref="Fidelity.Ideal"/> (it has no technology).</summary>
    public static CircuitFidelity Of(Fidelity kind, string technology, string corner) =>
        kind == Fidelity.Ideal ? Ideal : new(kind, technology, corner);

    /// <summary>True for the fidelities built from a technology's characterized cells.</summary>
    public bool UsesCells => Kind != Fidelity.Ideal;

    /// <summary>The kind in lower case: file names (`verdict.&lt;key&gt;.json`), report sections and plot keys.</summary>
    public string Key => KeyOf(Kind);

    public static string KeyOf(Fidelity kind) => kind switch
    {
        Fidelity.Ideal => "ideal",
        Fidelity.Macro => "macro",
        Fidelity.Transistor => "transistor",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public override string ToString() => UsesCells ? $"{Key} ({Technology}, {Corner})" : Key;

    /// <summary>Reads <see cref="ToString"/>'s text back; null when it is not one.</summary>
    public static CircuitFidelity? Parse(string text)
    {
        var t = text.Trim();
        int open = t.IndexOf(" (", StringComparison.Ordinal);
        var key = open < 0 ? t : t[..open];
        var kind = Enum.GetValues<Fidelity>().Cast<Fidelity?>().FirstOrDefault(k => string.Equals(KeyOf(k!.Value), key, StringComparison.OrdinalIgnoreCase));
        if (kind is null) return null;
        if (open < 0) return kind == Fidelity.Ideal ? Ideal : new(kind.Value, "", "");
        if (!t.EndsWith(')')) return null;
        var inside = t[(open + 2)..^1].Split(", ");
        return inside.Length == 2 && kind != Fidelity.Ideal ? new(kind.Value, inside[0], inside[1]) : null;
    }
}
