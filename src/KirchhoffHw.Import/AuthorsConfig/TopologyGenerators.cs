using KirchhoffHw.Model;

namespace KirchhoffHw.Import.AuthorsConfig;

/// <summary>
/// The authors' topology generators (zhengqigao/kirchhoffnet, src/utils/topology.py), reproduced edge for edge:
/// checkpoint parameters are matched to edges by position, so the order here is the contract. The counter column
/// the originals also return is not used by their model and is left out.
/// </summary>
public static class TopologyGenerators
{
    public static IReadOnlyList<string> Names { get; } = ["_fully_connect", "_simple_connect", "_neighbor_index", "_mix_connect"];

    /// <summary>`_fully_connect`: every ordered pair i != j of nodes, r0 copies of (i, j) then r1 of (j, i).</summary>
    public static EdgeList FullyConnect(int numNode, bool includeGnd = true, IReadOnlyList<int>? repeat = null)
    {
        var (r0, r1) = Pair(repeat, (1, 1), nameof(repeat));
        var (s, t) = includeGnd ? (0, numNode) : (1, numNode + 1);
        var e = new Builder();
        for (int i = s; i < t; i++)
            for (int j = s; j < t; j++)
            {
                if (i == j) continue;
                e.Add(i, j, r0);
                e.Add(j, i, r1);
            }
        return e.Build();
    }

    /// <summary>`_simple_connect`: a chain, r0 copies of (i, i + 1) for each i; the second repeat entry is unused, as in the original.</summary>
    public static EdgeList SimpleConnect(int numNode, bool includeGnd = true, IReadOnlyList<int>? repeat = null)
    {
        if (repeat is { Count: 0 }) throw new ArgumentException("repeat needs at least one entry", nameof(repeat));
        int r0 = repeat?[0] ?? 1;
        NonNegative(r0, nameof(repeat));
        var (s, t) = includeGnd ? (0, numNode) : (1, numNode + 1);
        var e = new Builder();
        for (int i = s; i < t; i++) e.Add(i, i + 1, r0);
        return e.Build();
    }

    /// <summary>
    /// `_neighbor_index`: nodes 1..C*W*H laid out as [channel][row &lt; width][col &lt; height] (the original reshapes to
    /// (C, width, height) and unfolds), every k x k window at stride 1 (row offset outer), with padding = k - 1 on
    /// each side when <paramref name="padding"/>; within a window positions run channel, row, column and every
    /// ordered pair of distinct real (not padding) positions gives <paramref name="repeat"/> copies of the edge.
    /// <paramref name="sharing"/> only changes the unused counter column; <paramref name="parallel"/> appends copies
    /// shifted by the largest node id, doubling the list each round exactly as the original does.
    /// </summary>
    public static EdgeList NeighborIndex(int numChannel, int width, int height, int neighborSize, bool padding = false,
        int repeat = 1, bool sharing = false, int parallel = 1)
    {
        Positive(numChannel, nameof(numChannel)); Positive(width, nameof(width)); Positive(height, nameof(height));
        Positive(neighborSize, nameof(neighborSize)); NonNegative(repeat, nameof(repeat)); Positive(parallel, nameof(parallel));
        int pad = padding ? neighborSize - 1 : 0;
        int outRows = width + 2 * pad - neighborSize + 1, outCols = height + 2 * pad - neighborSize + 1;
        if (outRows < 1 || outCols < 1)
            throw new ArgumentException($"a {neighborSize} x {neighborSize} window does not fit a {width} x {height} image without padding");

        int k = neighborSize, window = numChannel * k * k;
        var ids = new int[window];
        var e = new Builder();
        for (int r = 0; r < outRows; r++)
            for (int c = 0; c < outCols; c++)
            {
                int w = 0;
                for (int ch = 0; ch < numChannel; ch++)
                    for (int a = 0; a < k; a++)
                        for (int b = 0; b < k; b++)
                        {
                            int row = r - pad + a, col = c - pad + b;
                            ids[w++] = row < 0 || row >= width || col < 0 || col >= height ? 0 : 1 + ch * width * height + row * height + col;
                        }
                for (int j = 0; j < window; j++)
                    for (int m = 0; m < window; m++)
                        if (j != m && ids[j] != 0 && ids[m] != 0) e.Add(ids[j], ids[m], repeat);
            }
        return parallel == 1 ? e.Build() : Parallel(e.Build(), parallel);
    }

    /// <summary>
    /// `_mix_connect`: the `_neighbor_index` edges (its repeat is <paramref name="kernelRepeat"/>), then for each pixel
    /// node n = 1..max r0 copies of (n, 0) and r1 of (0, n), then for each extra node m = max+1..max+fullyConnectNode
    /// and each i = 0..max (ground included) r0 copies of (i, m) and r1 of (m, i).
    /// </summary>
    public static EdgeList MixConnect(int numChannel, int width, int height, int neighborSize, int fullyConnectNode,
        IReadOnlyList<int>? repeat = null, bool padding = false, int kernelRepeat = 1, bool sharing = false, int parallel = 1)
    {
        var (r0, r1) = Pair(repeat, (1, 0), nameof(repeat));
        NonNegative(fullyConnectNode, nameof(fullyConnectNode));
        var kernel = NeighborIndex(numChannel, width, height, neighborSize, padding, kernelRepeat, sharing, parallel);
        if (kernel.Count == 0) throw new ArgumentException("the neighbourhood part has no edges, so the pixel nodes are undefined (the original fails here too)");
        int max = Math.Max(kernel.Source.Max(), kernel.Destination.Max());
        var e = new Builder(kernel);
        for (int n = 1; n <= max; n++)
        {
            e.Add(n, 0, r0);
            e.Add(0, n, r1);
        }
        for (int m = max + 1; m <= max + fullyConnectNode; m++)
            for (int i = 0; i <= max; i++)
            {
                e.Add(i, m, r0);
                e.Add(m, i, r1);
            }
        return e.Build();
    }

    private static EdgeList Parallel(EdgeList edges, int parallel)
    {
        int shift = Math.Max(edges.Source.DefaultIfEmpty().Max(), edges.Destination.DefaultIfEmpty().Max());
        var s = edges.Source.ToList();
        var d = edges.Destination.ToList();
        for (int i = 1; i < parallel; i++)
        {
            int n = s.Count;
            if ((long)n * 2 > Array.MaxLength) throw new ArgumentException($"parallel = {parallel} makes too many edges");
            for (int k = 0; k < n; k++) { s.Add(s[k] + shift * i); d.Add(d[k] + shift * i); }
        }
        return new EdgeList(s.ToArray(), d.ToArray());
    }

    private static (int, int) Pair(IReadOnlyList<int>? repeat, (int, int) fallback, string name)
    {
        if (repeat is null) return fallback;
        if (repeat.Count < 2) throw new ArgumentException($"{name} needs two entries [r0, r1]", name);
        NonNegative(repeat[0], name);
        NonNegative(repeat[1], name);
        return (repeat[0], repeat[1]);
    }

    private static void Positive(int v, string name)
    {
        if (v < 1) throw new ArgumentException($"{name} must be at least 1, got {v}", name);
    }

    private static void NonNegative(int v, string name)
    {
        if (v < 0) throw new ArgumentException($"{name} must not be negative, got {v}", name);
    }

    private sealed class Builder
    {
        private readonly List<int> _s = [], _d = [];

        public Builder() { }
        public Builder(EdgeList start) { _s.AddRange(start.Source); _d.AddRange(start.Destination); }

        public void Add(int src, int dst, int copies)
        {
            for (int c = 0; c < copies; c++) { _s.Add(src); _d.Add(dst); }
        }

        public EdgeList Build() => new(_s.ToArray(), _d.ToArray());
    }
}
