using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Reference.Tests;

public enum Shape { FullyConnectedWithGround, Chain, RandomPairs, ParallelDuplicates }

/// <summary>Random small designs and an independent scalar RK4, the yardsticks of the property tests.</summary>
public static class Support
{
    public static string ModelsDirectory => RepoPaths.Models;

    public static Design Single(DeviceModel model, int nodes, params (double T0, double T1, (int S, int D)[] Edges, double[] Theta)[] layers) =>
        new("test", nodes, layers.Select(l => new Layer(l.T0, l.T1, model, EdgeList.FromPairs(l.Edges), l.Theta)).ToArray(),
            new InputMap(nodes), Readout.AllNodes);

    public static EdgeList Edges(Shape shape, int nodes, Random rng) => EdgeList.FromPairs(shape switch
    {
        Shape.FullyConnectedWithGround =>
            from i in Enumerable.Range(0, nodes + 1) from j in Enumerable.Range(0, nodes + 1) where i != j select (i, j),
        Shape.Chain => Enumerable.Range(0, nodes).Select(i => (i, i + 1)),
        Shape.RandomPairs => Enumerable.Range(0, 3 * nodes).Select(_ => (rng.Next(nodes + 1), rng.Next(nodes + 1))),
        _ => Enumerable.Range(0, nodes).SelectMany(i => Enumerable.Repeat((i + 1, rng.Next(nodes + 1)), 1 + rng.Next(4))),
    });

    /// <summary>1 to 3 layers, each with a random device model and topology shape, parameters in [-1, 1].</summary>
    public static Design RandomDesign(int seed, DeviceModel? model = null, Shape? shape = null)
    {
        var rng = new Random(seed);
        int nodes = 1 + rng.Next(5), layerCount = 1 + rng.Next(3);
        var layers = new List<Layer>();
        double t = 0;
        for (int l = 0; l < layerCount; l++)
        {
            var m = model ?? DeviceModels.All[rng.Next(DeviceModels.All.Count)];
            var edges = Edges(shape ?? (Shape)rng.Next(4), nodes, rng);
            var theta = Enumerable.Range(0, m.ParameterCount * edges.Count).Select(_ => 2 * rng.NextDouble() - 1).ToArray();
            double t1 = t + 0.2 + 0.4 * rng.NextDouble();
            layers.Add(new Layer(t, t1, m, edges, theta));
            t = t1;
        }
        return new Design($"random{seed}", nodes, layers, new InputMap(nodes), Readout.AllNodes);
    }

    public static double[][] RandomInputs(int count, int width, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, width).Select(_ => 2 * rng.NextDouble() - 1).ToArray()).ToArray();
    }

    /// <summary>dv/dt of nodes 0..N for one sample, edge by edge through the model's scalar law.</summary>
    public static double[] ScalarRhs(Layer layer, double[] v)
    {
        var d = new double[v.Length];
        for (int e = 0; e < layer.Edges.Count; e++)
        {
            int s = layer.Edges.Source[e], t = layer.Edges.Destination[e];
            double i = layer.Model.Current(v[s], v[t], layer.ParametersOf(e));
            d[s] -= i;
            d[t] += i;
        }
        d[0] = 0;
        return d;
    }

    /// <summary>Nodes 1..N at the end of each layer, by plain scalar RK4 with about <paramref name="step"/>.</summary>
    public static List<double[]> ScalarRk4(Design design, double[] input, double step)
    {
        var v = new double[design.NodeCount + 1];
        design.Input.Apply(input, v.AsSpan(1));
        var result = new List<double[]>();
        foreach (var layer in design.Layers)
        {
            int n = (int)Math.Ceiling(layer.Duration / step);
            double h = layer.Duration / n;
            for (int i = 0; i < n; i++)
            {
                var k1 = ScalarRhs(layer, v);
                var k2 = ScalarRhs(layer, v.Zip(k1, (a, k) => a + h / 2 * k).ToArray());
                var k3 = ScalarRhs(layer, v.Zip(k2, (a, k) => a + h / 2 * k).ToArray());
                var k4 = ScalarRhs(layer, v.Zip(k3, (a, k) => a + h * k).ToArray());
                for (int j = 0; j < v.Length; j++) v[j] += h / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
            }
            result.Add(v[1..]);
        }
        return result;
    }

    public static double MaxAbsDiff(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        Assert.That(a, Has.Count.EqualTo(b.Count));
        return a.Zip(b, (x, y) => Math.Abs(x - y)).DefaultIfEmpty(0).Max();
    }
}
