namespace KirchhoffHw.Import.Pth;

/// <summary>A checkpoint tensor as a row-major contiguous copy, whatever its storage type, offset and strides were.</summary>
public sealed record Tensor(int[] Shape, double[] Data)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The stored view reached one storage element from two indices (a stride of 0, aliased rows).</summary>
    public bool Overlapping { get; init; }

    public override string ToString() => $"({string.Join(", ", Shape)})";
}
