namespace KirchhoffHw.Import.Pth;

/// <summary>A checkpoint tensor as a row-major contiguous copy, whatever its storage type, offset and strides were.</summary>
public sealed record Tensor(int[] Shape, double[] Data)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    public override string ToString() => $"({string.Join(", ", Shape)})";
}
