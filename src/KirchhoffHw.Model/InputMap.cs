namespace KirchhoffHw.Model;

public enum FillMode { Zeros, Repeat }

/// <summary>
/// How an input vector becomes the initial node voltages: input i goes to node i + 1 for the first
/// <see cref="Width"/> nodes; the remaining nodes are zero (<see cref="FillMode.Zeros"/>, the authors' `fill: zeros`)
/// or repeat the input cyclically (<see cref="FillMode.Repeat"/>).
/// </summary>
public sealed record InputMap(int Width, FillMode Fill = FillMode.Zeros)
{
    /// <summary>Initial state of nodes 1..nodeCount (index 0 is node 1). Shorter inputs are filled as configured.</summary>
    public void Apply(ReadOnlySpan<double> input, Span<double> state)
    {
        if (input.Length > state.Length)
            throw new ArgumentException($"input has {input.Length} values but the design has {state.Length} nodes");
        input.CopyTo(state);
        if (Fill == FillMode.Zeros || input.Length == 0)
        {
            state[input.Length..].Clear();
            return;
        }
        for (int i = input.Length; i < state.Length; i++) state[i] = input[i % input.Length];
    }
}

public enum ReadoutKind { All, First, Last }

/// <summary>Which node voltages are the output at the end of the last layer: all, the first N or the last N nodes.</summary>
public sealed record Readout(ReadoutKind Kind, int Count = 0)
{
    public static readonly Readout AllNodes = new(ReadoutKind.All);

    /// <summary>Node numbers (1-based) read out, in output order.</summary>
    public int[] Nodes(int nodeCount) => Kind switch
    {
        ReadoutKind.All => Enumerable.Range(1, nodeCount).ToArray(),
        ReadoutKind.First => Enumerable.Range(1, Count).ToArray(),
        ReadoutKind.Last => Enumerable.Range(nodeCount - Count + 1, Count).ToArray(),
        _ => throw new InvalidOperationException(),
    };

    public override string ToString() => Kind switch
    {
        ReadoutKind.All => "all",
        ReadoutKind.First => $"first{Count}",
        _ => $"last{Count}",
    };

    /// <summary>Parses `all`, `null`, `firstN`, `lastN`; null when the text is none of those.</summary>
    public static Readout? TryParse(string? text)
    {
        if (string.IsNullOrEmpty(text) || text is "all" or "null" or "none") return AllNodes;
        foreach (var (prefix, kind) in new[] { ("first", ReadoutKind.First), ("last", ReadoutKind.Last) })
            if (text.StartsWith(prefix, StringComparison.Ordinal)
                && int.TryParse(text.AsSpan(prefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0)
                return new Readout(kind, n);
        return null;
    }
}
