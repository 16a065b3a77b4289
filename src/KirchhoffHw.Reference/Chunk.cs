using System.Numerics;
using System.Runtime.InteropServices;
using KirchhoffHw.Model;

namespace KirchhoffHw.Reference;

/// <summary>
/// The working state of one block of cases integrated together: node-major batch arrays of
/// <see cref="Lanes"/> lanes (see <see cref="Kcl"/>), padded to whole vectors of the fused kernel
/// (<see cref="Kcl.LaneMultiple"/>), per-lane time and step, and per-case state, samples and statistics.
/// A block may hold more cases than lanes: a lane whose case leaves the layer takes the next case. Every lane
/// keeps its own time and step size: the right-hand side has no explicit time dependence inside a layer, so
/// lanes need not share a time grid, and every per-lane operation is element-wise. A case therefore gets
/// bit-for-bit the same answer whatever block and lane it lands in; idle and padding lanes never step.
/// </summary>
internal sealed class Chunk
{
    public readonly int Lanes, Width, Nodes, FirstCase, CaseCount;
    public readonly string DesignName;
    public double[] Y, YNew;
    public readonly double[] Tmp;
    public readonly double[][] K;
    public readonly double[] T, Hs;
    /// <summary>The chunk-local case in each lane, -1 when the lane is idle.</summary>
    public readonly int[] LaneCase;
    /// <summary>Per case: nodes 1..N at the start of the layer being integrated, or at its end once the case left it.</summary>
    public readonly double[][] State;
    public readonly long[] Accepted, Rejected, Rhs;
    public long BatchedRhs;
    /// <summary>Told of every accepted Dopri5 step before the lane moves on (the adjoint's checkpoints); null when nobody listens.</summary>
    public IStepRecorder? Recorder;

    private readonly double[] _sampleTimes; // sorted
    private readonly int[] _sampleSlot;     // sorted index -> requested index
    private readonly int[] _nextSample;
    private readonly double[][][] _samples; // [case][requested index] -> nodes 1..N

    public Chunk(string designName, int firstCase, int caseCount, int lanes, int nodes, double[] sortedSampleTimes, int[] sampleSlot)
    {
        DesignName = designName;
        FirstCase = firstCase;
        CaseCount = caseCount;
        Lanes = lanes;
        int vc = Kcl.LaneMultiple;
        Width = (lanes + vc - 1) / vc * vc;
        Nodes = nodes;
        int len = (nodes + 1) * Width;
        Y = new double[len]; YNew = new double[len]; Tmp = new double[len];
        K = new double[7][];
        for (int i = 0; i < K.Length; i++) K[i] = new double[len];
        T = new double[Width]; Hs = new double[Width];
        LaneCase = new int[Width];
        Array.Fill(LaneCase, -1);
        State = new double[caseCount][];
        Accepted = new long[caseCount]; Rejected = new long[caseCount]; Rhs = new long[caseCount];
        _sampleTimes = sortedSampleTimes;
        _sampleSlot = sampleSlot;
        _nextSample = new int[caseCount];
        _samples = new double[caseCount][][];
        for (int i = 0; i < caseCount; i++) _samples[i] = new double[sortedSampleTimes.Length][];
    }

    public void Load(IReadOnlyList<double[]> inputs, InputMap map)
    {
        for (int i = 0; i < CaseCount; i++)
        {
            State[i] = new double[Nodes];
            map.Apply(inputs[FirstCase + i], State[i]);
        }
    }

    /// <summary>Puts case i into lane b at the layer start t0 and records its samples up to t0.</summary>
    public void Assign(int b, int i, double t0)
    {
        LaneCase[b] = i;
        T[b] = t0;
        for (int n = 0; n < Nodes; n++) Y[(n + 1) * Width + b] = State[i][n];
        RecordSamplesUpTo(i, t0);
    }

    /// <summary>Takes lane b's case out at the end of the layer; the lane stays idle until assigned again.</summary>
    public void Release(int b)
    {
        State[LaneCase[b]] = LaneState(Y, b);
        LaneCase[b] = -1;
        Hs[b] = 0;
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

    public double[] LaneState(double[] state, int b)
    {
        var s = new double[Nodes];
        for (int n = 0; n < Nodes; n++) s[n] = state[(n + 1) * Width + b];
        return s;
    }

    public bool HasSampleAtOrBefore(int i, double t) => _nextSample[i] < _sampleTimes.Length && _sampleTimes[_nextSample[i]] <= t;

    public double NextSampleTime(int i) => _sampleTimes[_nextSample[i]];

    public void RecordSample(int i, double[] state) => _samples[i][_sampleSlot[_nextSample[i]++]] = state;

    /// <summary>Records case i's pending samples up to time t from its <see cref="State"/>, which holds at all of them (layer starts, gaps).</summary>
    public void RecordSamplesUpTo(int i, double t)
    {
        while (HasSampleAtOrBefore(i, t)) RecordSample(i, (double[])State[i].Clone());
    }

    public IReadOnlyList<(double T, double[] State)> Samples(int i)
    {
        var times = new double[_sampleTimes.Length];
        for (int s = 0; s < times.Length; s++) times[_sampleSlot[s]] = _sampleTimes[s];
        return times.Select((t, s) => (t, _samples[i][s])).ToArray();
    }

    /// <summary>Counts a step of lane b's case.</summary>
    public void CountStep(int b, bool accepted, int rhs, SolverOptions options)
    {
        int i = LaneCase[b];
        if (accepted) Accepted[i]++; else Rejected[i]++;
        Rhs[i] += rhs;
        if (Accepted[i] + Rejected[i] > options.MaxSteps)
            throw Failure(i, $"more than {options.MaxSteps} steps (MaxSteps) at t={T[b].ToString("R", System.Globalization.CultureInfo.InvariantCulture)}");
    }

    public KirchhoffHwException Failure(int i, string message) =>
        new(new SourceLocation(DesignName), $"case {FirstCase + i}: {message}");
}

/// <summary>Receives each accepted step of a lane: its case, its size, and the lane's state at the step's start in <see cref="Chunk.Y"/>.</summary>
internal interface IStepRecorder
{
    void Accepted(Chunk c, int lane, int chunkCase, double h);
}
