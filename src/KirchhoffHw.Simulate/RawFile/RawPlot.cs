using System.Numerics;

namespace KirchhoffHw.Simulate.RawFile;

public sealed record RawVariable(int Index, string Name, string Type);

/// <summary>
/// One plot of a SPICE raw file. Data is by variable (struct-of-arrays): <see cref="Real"/>[v][p] holds the real
/// parts, <see cref="Imaginary"/> the imaginary parts of a complex plot (null for a real plot).
/// </summary>
public sealed record RawPlot(
    string Title,
    string Date,
    string Plotname,
    string Flags,
    IReadOnlyList<RawVariable> Variables,
    int Points,
    double[][] Real,
    double[][]? Imaginary)
{
    public bool IsComplex => Imaginary is not null;

    /// <summary>Index of a variable by name, case-insensitively, or -1.</summary>
    public int IndexOf(string name)
    {
        for (var i = 0; i < Variables.Count; i++)
            if (string.Equals(Variables[i].Name, name, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }

    public double[] RealOf(string name) => Real[Require(name)];

    public Complex[] ComplexOf(string name)
    {
        var i = Require(name);
        var re = Real[i];
        var im = Imaginary?[i];
        var result = new Complex[re.Length];
        for (var p = 0; p < re.Length; p++) result[p] = new Complex(re[p], im is null ? 0 : im[p]);
        return result;
    }

    private int Require(string name) =>
        IndexOf(name) is var i and >= 0 ? i : throw new KeyNotFoundException($"raw plot '{Plotname}' has no variable '{name}'");
}
