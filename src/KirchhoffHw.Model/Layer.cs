using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Model;

/// <summary>
/// One time slice [TStart, TEnd] during which this bank of devices is connected.
/// Parameters are stored like the checkpoint tensor, parameter-major: Theta[p * Edges.Count + e].
/// </summary>
public sealed class Layer
{
    public double TStart { get; }
    public double TEnd { get; }
    public DeviceModel Model { get; }
    public EdgeList Edges { get; }
    public double[] Theta { get; }

    public Layer(double tStart, double tEnd, DeviceModel model, EdgeList edges, double[] theta)
    {
        if (theta.Length != model.ParameterCount * edges.Count)
            throw new ArgumentException(
                $"{model.Name} needs {model.ParameterCount} parameters for each of {edges.Count} edges ({model.ParameterCount * edges.Count} values), got {theta.Length}");
        TStart = tStart;
        TEnd = tEnd;
        Model = model;
        Edges = edges;
        Theta = theta;
    }

    public double Duration => TEnd - TStart;

    /// <summary>The parameter column of one edge, copied out (codegen and tests; not for hot loops).</summary>
    public double[] ParametersOf(int edge)
    {
        var p = new double[Model.ParameterCount];
        for (int i = 0; i < p.Length; i++) p[i] = Theta[i * Edges.Count + edge];
        return p;
    }

    /// <summary>A view of parameter row <paramref name="index"/> across all edges.</summary>
    public ReadOnlySpan<double> ParameterRow(int index) => Theta.AsSpan(index * Edges.Count, Edges.Count);

    /// <summary>
    /// Bounds parameter row <paramref name="index"/> of <paramref name="lower"/> and <paramref name="upper"/> (laid out like
    /// <see cref="Theta"/>) at x0 +- <paramref name="width"/> (|x0| + the layer's RMS of that parameter): a bound that scales
    /// with each device and with its layer, so a parameter trained to 0 can still move.
    /// </summary>
    public void BoundAround(int index, double width, double[] lower, double[] upper)
    {
        var row = ParameterRow(index);
        int n = Edges.Count;
        double rms = n == 0 ? 0 : Math.Sqrt(row.ToArray().Average(v => v * v));
        for (int e = 0; e < n; e++)
        {
            double x = row[e], h = width * (Math.Abs(x) + rms);
            lower[index * n + e] = x - h;
            upper[index * n + e] = x + h;
        }
    }
}
