using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using KirchhoffHw.Model;

namespace KirchhoffHw.Reference;

/// <summary>
/// The working state of one chunk of cases integrated together: node-major batch arrays (see <see cref="Kcl"/>),
/// padded to whole vectors of the fused kernel (<see cref="Kcl.LaneMultiple"/>), and per-lane time, step and
/// statistics. Every lane keeps its own time and step size: the right-hand side has no explicit time
/// dependence inside a layer, so lanes need not share a time grid, and every per-lane operation is element-wise. A case therefore gets bit-for-bit the same answer
/// whatever chunk it lands in; padding lanes are zero states that never step.
/// </summary>
internal sealed class Chunk
{
    public readonly int Lanes, Width, Nodes, FirstCase;
    public readonly string DesignName;
    public double[] Y, YNew;
    public readonly double[] Tmp;
    public readonly double[][] K;
    public readonly double[] T, Hs;
    public readonly long[] Accepted, Rejected, Rhs;
    public long BatchedRhs;

    private readonly double[] _sampleTimes; // sorted
    private readonly int[] _sampleSlot;     // sorted index -> requested index
    private readonly int[] _nextSample;
    private readonly double[][][] _samples; // [lane][requested index] -> nodes 1..N

    public Chunk(string designName, int firstCase, int lanes, int nodes, double[] sortedSampleTimes, int[] sampleSlot)
    {
        DesignName = designName;
        FirstCase = firstCase;
        Lanes = lanes;
        int vc = Kcl.LaneMultiple;
        Width = (lanes + vc - 1) / vc * vc;
        Nodes = nodes;
        int len = (nodes + 1) * Width;
        Y = new double[len]; YNew = new double[len]; Tmp = new double[len];
        K = new double[7][];
        for (int i = 0; i < K.Length; i++) K[i] = new double[len];
        T = new double[Width]; Hs = new double[Width];
        Accepted = new long[lanes]; Rejected = new long[lanes]; Rhs = new long[lanes];
        _sampleTimes = sortedSampleTimes;
        _sampleSlot = sampleSlot;
        _nextSample = new int[lanes];
        _samples = new double[lanes][][];
        for (int b = 0; b < lanes; b++) _samples[b] = new double[sortedSampleTimes.Length][];
    }

    public void Load(IReadOnlyList<double[]> inputs, InputMap map)
    {
        var node = new double[Nodes];
        for (int b = 0; b < Lanes; b++)
        {
            map.Apply(inputs[FirstCase + b], node);
            for (int n = 0; n < Nodes; n++) Y[(n + 1) * Width + b] = node[n];
        }
    }

    public void Eval(Kcl f, double[] y, double[] dy)
    {
        f.Evaluate(y, dy, Width);
        BatchedRhs++;
    }

    /// <summary>dst = y + h[b] * sum coef_j * k_j, lane by lane; y null stands for zero.</summary>
    public void Stage(double[] dst, double[]? y, double[] h, ReadOnlySpan<(double Coef, double[] K)> terms)
    {
        int vc = Vector<double>.Count;
        ref double rd = ref MemoryMarshal.GetArrayDataReference(dst);
        ref double ry = ref MemoryMarshal.GetArrayDataReference(y ?? dst);
        for (int b = 0; b < Width; b += vc)
        {
            var hv = Vector.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(h), (nuint)b);
            for (nuint i = (nuint)b; i < (nuint)dst.Length; i += (nuint)Width)
            {
                var acc = Vector<double>.Zero;
                foreach (var (coef, k) in terms)
                    acc = Vector.FusedMultiplyAdd(new Vector<double>(coef), Vector.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(k), i), acc);
                Vector.FusedMultiplyAdd(hv, acc, y is null ? Vector<double>.Zero : Vector.LoadUnsafe(ref ry, i)).StoreUnsafe(ref rd, i);
            }
        }
    }

    /// <summary>Root mean square over nodes 1..N of one lane of <paramref name="v"/>, each value divided by <paramref name="scale"/>'s.</summary>
    public double Rms(double[] v, double[] scale, int b)
    {
        double sum = 0;
        for (int i = Width + b; i < v.Length; i += Width)
        {
            double r = v[i] / scale[i];
            sum += r * r;
        }
        return Nodes == 0 ? 0 : Math.Sqrt(sum / Nodes);
    }

    public double[] LaneState(double[] state, int b)
    {
        var s = new double[Nodes];
        for (int n = 0; n < Nodes; n++) s[n] = state[(n + 1) * Width + b];
        return s;
    }

    /// <summary>Copies lane b of the accepted arrays over the current ones (when not every lane accepted).</summary>
    public void AcceptLane(int b)
    {
        for (int i = b; i < Y.Length; i += Width)
        {
            Y[i] = YNew[i];
            K[0][i] = K[6][i];
        }
    }

    public bool HasSampleAtOrBefore(int b, double t) => _nextSample[b] < _sampleTimes.Length && _sampleTimes[_nextSample[b]] <= t;

    public double NextSampleTime(int b) => _sampleTimes[_nextSample[b]];

    public void RecordSample(int b, double[] state) => _samples[b][_sampleSlot[_nextSample[b]++]] = state;

    /// <summary>Records lane b's pending samples up to time t from a state that holds at all of them (layer starts, gaps).</summary>
    public void RecordSamplesUpTo(int b, double t)
    {
        while (HasSampleAtOrBefore(b, t)) RecordSample(b, LaneState(Y, b));
    }

    public IReadOnlyList<(double T, double[] State)> Samples(int b)
    {
        var times = new double[_sampleTimes.Length];
        for (int i = 0; i < times.Length; i++) times[_sampleSlot[i]] = _sampleTimes[i];
        return times.Select((t, i) => (t, _samples[b][i])).ToArray();
    }

    public void CountStep(int b, bool accepted, int rhs, SolverOptions options)
    {
        if (accepted) Accepted[b]++; else Rejected[b]++;
        Rhs[b] += rhs;
        if (Accepted[b] + Rejected[b] > options.MaxSteps)
            throw Failure(b, $"more than {options.MaxSteps} steps (MaxSteps) at t={T[b].ToString("R", System.Globalization.CultureInfo.InvariantCulture)}");
    }

    public KirchhoffHwException Failure(int b, string message) =>
        new(new SourceLocation(DesignName), $"case {FirstCase + b}: {message}");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Swap()
    {
        (Y, YNew) = (YNew, Y);
        (K[0], K[6]) = (K[6], K[0]);
    }
}
