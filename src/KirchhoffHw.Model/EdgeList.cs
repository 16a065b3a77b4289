namespace KirchhoffHw.Model;

/// <summary>
/// Device connections of one layer, struct-of-arrays: edge e carries current from Source[e] to Destination[e].
/// Node 0 is ground. mnist has 230,068 edges a layer, so there is no per-edge object anywhere.
/// </summary>
public sealed class EdgeList
{
    public int[] Source { get; }
    public int[] Destination { get; }
    public int Count => Source.Length;

    public EdgeList(int[] source, int[] destination)
    {
        if (source.Length != destination.Length)
            throw new ArgumentException($"source has {source.Length} entries but destination has {destination.Length}");
        Source = source;
        Destination = destination;
    }

    public static EdgeList FromPairs(IEnumerable<(int Src, int Dst)> pairs)
    {
        var s = new List<int>();
        var d = new List<int>();
        foreach (var (a, b) in pairs) { s.Add(a); d.Add(b); }
        return new EdgeList(s.ToArray(), d.ToArray());
    }
}
