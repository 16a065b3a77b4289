using KirchhoffHw.Model;
using KirchhoffHw.Model.Validation;

namespace KirchhoffHw.Import.AuthorsConfig;

/// <summary>
/// The authors' topology generators (zhengqigao/kirchhoffnet, src/utils/topology.py), reproduced edge for edge:
/// checkpoint parameters are matched to edges by position, so the order here is the contract. The counter column
/// the originals also return is not used by their model and is left out. Every generator counts its nodes and
/// edges in wide arithmetic before it builds anything, and refuses (ArgumentException) a count that node ids
/// cannot number or that would not fit the memory limit.
/// </summary>
public static class TopologyGenerators
{
    public static IReadOnlyList<string> Names { get; } = ["_fully_connect", "_simple_connect", "_neighbor_index", "_mix_connect"];

    /// <summary>`_fully_connect`: every ordered pair i != j of nodes, r0 copies of (i, j) then r1 of (j, i).</summary>
    public static EdgeList FullyConnect(int numNode, bool includeGnd = true, IReadOnlyList<int>? repeat = null)
    {
        var (r0, r1) = Pair(repeat, (1, 1), nameof(repeat));
        NonNegative(numNode, "num_node");
        Nodes(includeGnd ? numNode - 1L : numNode);
        Edges((double)numNode * Math.Max(numNode - 1, 0) * ((double)r0 + r1), $"_fully_connect over {numNode} nodes with repeat [{r0}, {r1}]");
        var (s, t) = includeGnd ? (0, numNode) : (1, numNode + 1);
        var e = new Builder();
        // no copies either way: no edges, and no walk over num_node^2 pairs to find that out
        if ((long)r0 + r1 == 0) return e.Build();
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
        NonNegative(numNode, "num_node");
        Nodes(includeGnd ? numNode : numNode + 1L);
        Edges((double)numNode * r0, $"_simple_connect over {numNode} nodes with repeat {r0}");
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
        long pixels = (long)numChannel * width * height;
        Nodes(pixels, $"a {numChannel} x {width} x {height} image");
        long k = neighborSize, pad = padding ? k - 1 : 0;
        long outRows = width + 2 * pad - k + 1, outCols = height + 2 * pad - k + 1;
        if (outRows < 1 || outCols < 1)
            throw new ArgumentException($"a {neighborSize} x {neighborSize} window does not fit a {width} x {height} image without padding");
        // The original unfolds a (C k^2) x windows index matrix of int64: its cost bounds the windows walked here.
        Require(MemoryLimit.Check(MemoryLimit.Of(8.0 * numChannel * k * k * outRows * outCols), $"unfolding {(double)outRows * outCols:N0} windows of {numChannel} x {k} x {k}"));
        // Real (not padding) rows of window r: those of r - pad .. r - pad + k - 1 inside the image; likewise columns.
        long RealRows(long r) => Math.Min(width - 1, r - pad + k - 1) - Math.Max(0, r - pad) + 1;
        long RealCols(long c) => Math.Min(height - 1, c - pad + k - 1) - Math.Max(0, c - pad) + 1;
        double rows1 = 0, rows2 = 0, cols1 = 0, cols2 = 0;
        for (long r = 0; r < outRows; r++) { double a = RealRows(r); rows1 += a; rows2 += a * a; }
        for (long c = 0; c < outCols; c++) { double b = RealCols(c); cols1 += b; cols2 += b * b; }
        // sum over windows of m (m - 1) ordered pairs, m = C a b real positions
        double pairs = (double)numChannel * numChannel * rows2 * cols2 - (double)numChannel * rows1 * cols1;
        Edges(pairs * repeat * Math.Pow(2, parallel - 1), $"_neighbor_index over a {numChannel} x {width} x {height} image, window {neighborSize}, repeat {repeat}, parallel {parallel}");

        var ids = new int[numChannel * (int)k * (int)k];
        var e = new Builder();
        if (repeat == 0) return e.Build();
        for (long r = 0; r < outRows; r++)
        {
            long r0 = Math.Max(0, r - pad), r1 = Math.Min(width - 1, r - pad + k - 1);
            for (long c = 0; c < outCols; c++)
            {
                long c0 = Math.Max(0, c - pad), c1 = Math.Min(height - 1, c - pad + k - 1);
                // window positions run channel, row, column; padding positions carry no node and make no edge
                int m = 0;
                for (int ch = 0; ch < numChannel; ch++)
                    for (long row = r0; row <= r1; row++)
                        for (long col = c0; col <= c1; col++)
                            ids[m++] = (int)(1 + (long)ch * width * height + row * height + col);
                for (int j = 0; j < m; j++)
                    for (int q = 0; q < m; q++)
                        if (j != q) e.Add(ids[j], ids[q], repeat);
            }
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
        Nodes((long)max + fullyConnectNode, $"_mix_connect with fully_connect_node = {fullyConnectNode}");
        Edges(kernel.Count + (double)max * ((double)r0 + r1) + (double)fullyConnectNode * (max + 1.0) * ((double)r0 + r1),
            $"_mix_connect with fully_connect_node = {fullyConnectNode} and repeat [{r0}, {r1}]");
        var e = new Builder(kernel);
        for (int n = 1; n <= max; n++)
        {
            e.Add(n, 0, r0);
            e.Add(0, n, r1);
        }
        for (int m = max + 1; m <= max + fullyConnectNode && (long)r0 + r1 > 0; m++)
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
        Nodes((long)shift * parallel, $"parallel = {parallel}");
        var s = edges.Source.ToList();
        var d = edges.Destination.ToList();
        for (int i = 1; i < parallel; i++)
        {
            int n = s.Count;
            Edges(n * 2.0, $"parallel = {parallel}");
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

    /// <summary>Node ids 1..<paramref name="highest"/> must be numbered by an int and fit the memory limit.</summary>
    private static void Nodes(long highest, string? what = null)
    {
        if (DesignSize.CheckNodes(highest) is { } problem) throw new ArgumentException(what is null ? problem : $"{what}: {problem}");
    }

    private static void Edges(double count, string what) => Require(DesignSize.CheckDevices(count, what));

    private static void Require(string? problem)
    {
        if (problem is not null) throw new ArgumentException(problem);
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
