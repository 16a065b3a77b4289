using System.Diagnostics;
using System.Runtime.ExceptionServices;
using KirchhoffHw.Model;

namespace KirchhoffHw.Reference;

/// <summary>
/// Gradients of a loss on the layer-boundary states (and so the outputs) with respect to every device parameter of
/// every layer, every node trim and the input, by the discrete adjoint: reverse mode through the Dormand-Prince
/// stages of the steps the forward pass accepted, step sizes held fixed.
/// <para>
/// Discrete rather than continuous because the result is then the exact derivative (to rounding) of the solution the
/// solver computed, its step sizes held fixed, whatever the tolerance: an optimizer's line search sees a gradient
/// consistent with its objective, the check against finite differences is limited only by the solver's own accuracy,
/// pin-level laws need nothing special, and the backward pass needs no step control or interpolant of its own. The
/// continuous adjoint (lambda' = -J^T lambda integrated backwards) would differ from it by the integration error of
/// both passes. Where a law has a kink (ReLU), the step straddling it is differentiated on the side each stage lies,
/// so against the exact flow's derivative that step is first order (docs/adjoint.md).
/// </para>
/// <para>
/// Memory is bounded by checkpointing: the forward pass keeps each case's state every K accepted steps
/// (<see cref="SensitivityOptions.CheckpointInterval"/>) and every step size; the backward pass re-runs one stretch
/// of K steps from its checkpoint, keeping its stage inputs, and reverses through it. A case holds
/// N x sum_l ceil(S_l / K) checkpoint values and sum_l S_l step sizes (S_l accepted steps in layer l, N nodes); a
/// lane holds 6 K (N + 1) stage values. The backward costs one re-evaluation and one reverse-mode product per stage.
/// </para>
/// <para>
/// Cases run in fixed blocks in parallel, each block on SIMD lanes like the forward solver. Lanes of a block move in
/// lock step, one stretch at a time (all re-run, then all reverse), each at its own case's steps; a lane whose case
/// has fewer steps in the stretch idles with a zero step, which leaves its state and adjoint unchanged bit for bit.
/// </para>
/// </summary>
public static class Sensitivities
{
    public static SensitivityResult Solve(Design design, IReadOnlyList<double[]> inputs, CaseLoss loss, SolverOptions options,
        SensitivityOptions? sensitivity = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(design);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(loss);
        options.Validate();
        var so = sensitivity ?? SensitivityOptions.Default;
        so.Validate();
        if (options.Method != SolverMethod.Dopri5)
            throw new ArgumentException("sensitivities are computed through Dopri5's stages; Rk4 is not supported", nameof(options));
        for (int i = 0; i < inputs.Count; i++)
            if (inputs[i] is null || inputs[i].Length > design.NodeCount)
                throw new ArgumentException($"input {i} has {inputs[i]?.Length.ToString() ?? "no"} values but {design.Name} has {design.NodeCount} nodes", nameof(inputs));
        var watch = Stopwatch.StartNew();

        var rhs = design.Layers.Select(l => new Kcl(l, design.NodeCount, design.NodeTrims)).ToArray();
        int n = inputs.Count, blockCases = so.BlockCases(options), blocks = (n + blockCases - 1) / blockCases;
        var cases = new CaseResult[n];
        var caseLoss = new double[n];
        var initial = new double[n][];
        var trim = new double[n][];
        var blockTheta = new double[blocks][][];
        var blockStats = new SensitivityStats[blocks];
        var forwardTicks = new long[blocks];
        var backwardTicks = new long[blocks];
        try
        {
            Parallel.For(0, blocks, new ParallelOptions { CancellationToken = cancel, MaxDegreeOfParallelism = so.MaxDegreeOfParallelism }, bi =>
            {
                int first = bi * blockCases, count = Math.Min(blockCases, n - first);
                var block = new Block(design, rhs, options, so, first, count);
                long start = Stopwatch.GetTimestamp();
                block.Forward(inputs, cancel);
                forwardTicks[bi] = Stopwatch.GetTimestamp() - start;
                for (int i = 0; i < count; i++)
                {
                    cases[first + i] = block.Result(i);
                    caseLoss[first + i] = loss(first + i, cases[first + i], block.Seeds[i]);
                }
                start = Stopwatch.GetTimestamp();
                block.Backward(cancel);
                backwardTicks[bi] = Stopwatch.GetTimestamp() - start;
                for (int i = 0; i < count; i++)
                {
                    initial[first + i] = block.Lambda[i];
                    trim[first + i] = block.Trim[i];
                }
                blockTheta[bi] = block.ThetaGradients();
                blockStats[bi] = block.Stats();
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count >= 1 && e.InnerExceptions.All(x => x is KirchhoffHwException))
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }

        var theta = design.Layers.Select(l => new double[l.Theta.Length]).ToArray();
        foreach (var bt in blockTheta)
            for (int l = 0; l < theta.Length; l++)
                for (int k = 0; k < theta[l].Length; k++) theta[l][k] += bt[l][k];
        var trimTotal = new double[design.NodeCount];
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            total += caseLoss[i];
            for (int k = 0; k < trimTotal.Length; k++) trimTotal[k] += trim[i][k];
        }
        var inputGradients = initial.Select((g, i) => InputGradient(design.Input, inputs[i].Length, g)).ToArray();
        var stats = blockStats.Aggregate(new SensitivityStats(0, 0, 0, 0, 0, blockStats.Length == 0 ? 0 : blockStats[0].Width),
            (a, b) => new SensitivityStats(a.ForwardBatchedRhs + b.ForwardBatchedRhs, a.RecomputeBatchedRhs + b.RecomputeBatchedRhs,
                a.AdjointBatchedCalls + b.AdjointBatchedCalls, a.AcceptedSteps + b.AcceptedSteps, a.CheckpointStates + b.CheckpointStates, Math.Max(a.Width, b.Width)));
        return new SensitivityResult(total, caseLoss, cases, initial, inputGradients, theta, trimTotal, stats, watch.Elapsed)
        {
            ForwardTime = Stopwatch.GetElapsedTime(0, forwardTicks.Sum()),
            BackwardTime = Stopwatch.GetElapsedTime(0, backwardTicks.Sum()),
        };
    }

    /// <summary>dLoss/d(input) from dLoss/d(initial state) through the input map (a repeated input gathers every node it fills).</summary>
    public static double[] InputGradient(InputMap map, int inputLength, ReadOnlySpan<double> initialStateGradient)
    {
        var g = new double[inputLength];
        for (int k = 0; k < initialStateGradient.Length; k++)
        {
            if (k < inputLength) g[k] += initialStateGradient[k];
            else if (map.Fill == FillMode.Repeat && inputLength > 0) g[k % inputLength] += initialStateGradient[k];
        }
        return g;
    }

    /// <summary>One thread's cases: the forward pass with checkpoints, then the backward pass layer by layer.</summary>
    private sealed class Block : IStepRecorder
    {
        private readonly Design _design;
        private readonly Kcl[] _rhs;
        private readonly SolverOptions _options;
        private readonly int _k, _first, _count, _nodes, _width;
        private readonly Chunk _chunk;
        private readonly List<(double T, double[] State)>[] _boundaries;
        // per case, per layer: accepted step sizes and the states at steps 0, K, 2K, ...
        private readonly List<double>[][] _steps;
        private readonly List<double[]>[][] _checkpoints;
        // per case, per layer, per accepted step: k1..k6 (node-major, 6 N), while they fit the budget
        private readonly List<double[]>[][] _slopes;
        private readonly long _slopeBudget;
        private long _slopeDoubles;
        private bool _keepSlopes;
        private readonly KclGradient[] _gradients;
        private int _layer;
        private long _recompute, _adjoint, _accepted, _stored;

        public readonly double[][][] Seeds;
        /// <summary>Per case: the adjoint of the state, at the end of the layer being reversed, then at its start.</summary>
        public readonly double[][] Lambda;
        public readonly double[][] Trim;

        public Block(Design design, Kcl[] rhs, SolverOptions options, SensitivityOptions so, int first, int count)
        {
            _design = design;
            _rhs = rhs;
            _options = options;
            _k = so.CheckpointInterval;
            _first = first;
            _count = count;
            _nodes = design.NodeCount;
            _chunk = new Chunk(design.Name, first, count, Math.Min(options.ChunkSize, count), _nodes, [], []) { Recorder = this };
            _width = _chunk.Width;
            int layers = design.Layers.Count;
            _boundaries = new List<(double, double[])>[count];
            _steps = new List<double>[count][];
            _checkpoints = new List<double[]>[count][];
            _slopes = new List<double[]>[count][];
            _slopeBudget = so.SlopeBudgetBytes / sizeof(double);
            _keepSlopes = _slopeBudget > 0;
            Seeds = new double[count][][];
            Lambda = new double[count][];
            Trim = new double[count][];
            for (int i = 0; i < count; i++)
            {
                _boundaries[i] = [];
                _steps[i] = Enumerable.Range(0, layers).Select(_ => new List<double>()).ToArray();
                _checkpoints[i] = Enumerable.Range(0, layers).Select(_ => new List<double[]>()).ToArray();
                _slopes[i] = Enumerable.Range(0, layers).Select(_ => new List<double[]>()).ToArray();
                Seeds[i] = Enumerable.Range(0, layers).Select(_ => new double[_nodes]).ToArray();
                Trim[i] = new double[_nodes];
            }
            _gradients = rhs.Select(r => r.NewGradient()).ToArray();
        }

        public void Accepted(Chunk c, int lane, int chunkCase, double h)
        {
            var steps = _steps[chunkCase][_layer];
            if (steps.Count % _k == 0)
            {
                _checkpoints[chunkCase][_layer].Add(c.LaneState(c.Y, lane));
                _stored++;
            }
            steps.Add(h);
            _accepted++;
            if (_keepSlopes) KeepSlopes(c, lane, chunkCase);
        }

        private void KeepSlopes(Chunk c, int lane, int chunkCase)
        {
            if (_slopeDoubles + 6L * _nodes > _slopeBudget)
            {
                _keepSlopes = false;
                foreach (var perLayer in _slopes) foreach (var list in perLayer) list.Clear();
                _slopeDoubles = 0;
                return;
            }
            var k = new double[6 * _nodes];
            for (int s = 0; s < 6; s++)
                for (int node = 0; node < _nodes; node++) k[s * _nodes + node] = c.K[s][(node + 1) * _width + lane];
            _slopes[chunkCase][_layer].Add(k);
            _slopeDoubles += k.Length;
        }

        public void Forward(IReadOnlyList<double[]> inputs, CancellationToken cancel)
        {
            _chunk.Load(inputs, _design.Input);
            for (int l = 0; l < _rhs.Length; l++)
            {
                _layer = l;
                var layer = _design.Layers[l];
                Dopri5.Integrate(_chunk, _rhs[l], layer.TStart, layer.TEnd, _options, cancel);
                for (int i = 0; i < _count; i++) _boundaries[i].Add((layer.TEnd, (double[])_chunk.State[i].Clone()));
            }
        }

        public CaseResult Result(int i) => new(
            _design.OutputNodes.Select(node => _chunk.State[i][node - 1]).ToArray(), _boundaries[i], [],
            new SolverStats(_chunk.Accepted[i], _chunk.Rejected[i], _chunk.Rhs[i]));

        public double[][] ThetaGradients()
        {
            var g = _design.Layers.Select(l => new double[l.Theta.Length]).ToArray();
            for (int l = 0; l < g.Length; l++) _gradients[l].AddTo(g[l]);
            return g;
        }

        public SensitivityStats Stats() => new(_chunk.BatchedRhs, _recompute, _adjoint, _accepted, _stored, _width);

        public void Backward(CancellationToken cancel)
        {
            int layers = _rhs.Length;
            for (int i = 0; i < _count; i++) Lambda[i] = layers == 0 ? new double[_nodes] : (double[])Seeds[i][layers - 1].Clone();
            for (int l = layers - 1; l >= 0; l--)
            {
                if (l < layers - 1)
                    for (int i = 0; i < _count; i++)
                        for (int k = 0; k < _nodes; k++) Lambda[i][k] += Seeds[i][l][k];
                new LayerPass(this, l).Run(cancel);
            }
        }

        /// <summary>The backward pass of every case of the block through one layer, on the block's lanes.</summary>
        private sealed class LayerPass
        {
            private readonly Block _b;
            private readonly int _l, _w, _k, _len;
            private readonly Kcl _f;
            private readonly double[] _y, _lambda, _u, _trim;
            private readonly double[][] _kst, _v, _stage;
            private readonly int[] _case, _segment, _segmentLength;
            private readonly double[] _h;
            private int _next;

            public LayerPass(Block b, int layer)
            {
                _b = b;
                _l = layer;
                _f = b._rhs[layer];
                _w = b._width;
                _k = b._k;
                _len = (b._nodes + 1) * _w;
                _y = new double[_len]; _lambda = new double[_len]; _u = new double[_len]; _trim = new double[_len];
                _kst = Enumerable.Range(0, 6).Select(_ => new double[_len]).ToArray();
                _v = Enumerable.Range(0, 6).Select(_ => new double[_len]).ToArray();
                _stage = Enumerable.Range(0, 6 * _k).Select(_ => new double[_len]).ToArray();
                _case = new int[_w];
                Array.Fill(_case, -1);
                _segment = new int[_w];
                _segmentLength = new int[_w];
                _h = new double[_w];
            }

            public void Run(CancellationToken cancel)
            {
                int lanes = _b._chunk.Lanes;
                for (int lane = 0; lane < lanes; lane++) Take(lane);
                while (_case.Any(c => c >= 0))
                {
                    cancel.ThrowIfCancellationRequested();
                    for (int lane = 0; lane < _w; lane++) StartStretch(lane);
                    for (int j = 0; j < _k; j++) RecomputeStep(j);
                    for (int j = 0; j < _k; j++) ReverseStep(j);
                    for (int lane = 0; lane < lanes; lane++)
                    {
                        if (_case[lane] < 0) continue;
                        if (--_segment[lane] >= 0) continue;
                        Finish(lane);
                        Take(lane);
                    }
                }
            }

            /// <summary>Gives a free lane the block's next case with steps in this layer; cases without any pass their adjoint through.</summary>
            private void Take(int lane)
            {
                _case[lane] = -1;
                while (_next < _b._count)
                {
                    int i = _next++;
                    int steps = _b._steps[i][_l].Count;
                    if (steps == 0) continue;
                    _case[lane] = i;
                    _segment[lane] = (steps - 1) / _k;
                    for (int node = 0; node < _b._nodes; node++)
                    {
                        _lambda[(node + 1) * _w + lane] = _b.Lambda[i][node];
                        _trim[(node + 1) * _w + lane] = 0;
                    }
                    return;
                }
            }

            private void Finish(int lane)
            {
                int i = _case[lane];
                for (int node = 0; node < _b._nodes; node++)
                {
                    _b.Lambda[i][node] = _lambda[(node + 1) * _w + lane];
                    _b.Trim[i][node] += _trim[(node + 1) * _w + lane];
                }
            }

            private void StartStretch(int lane)
            {
                int i = _case[lane];
                if (i < 0)
                {
                    _segmentLength[lane] = 0;
                    for (int node = 1; node <= _b._nodes; node++) _y[node * _w + lane] = 0;
                    return;
                }
                int s = _segment[lane];
                _segmentLength[lane] = Math.Min(_k, _b._steps[i][_l].Count - s * _k);
                var start = _b._checkpoints[i][_l][s];
                for (int node = 0; node < _b._nodes; node++) _y[(node + 1) * _w + lane] = start[node];
            }

            // Stretches are right-aligned in the K slots: slot q of a lane whose stretch has n steps holds step q - (K - n).
            private double StepSize(int lane, int slot)
            {
                int n = _segmentLength[lane], offset = slot - (_k - n);
                return offset < 0 ? 0.0 : _b._steps[_case[lane]][_l][_segment[lane] * _k + offset];
            }

            private bool LoadStepSizes(int slot)
            {
                bool any = false;
                for (int lane = 0; lane < _w; lane++)
                {
                    _h[lane] = _case[lane] < 0 ? 0.0 : StepSize(lane, slot);
                    any |= _h[lane] != 0;
                }
                return any;
            }

            /// <summary>Re-runs slot j's step from _y, storing its six stage inputs, and advances _y (a zero step leaves it as is).</summary>
            private void RecomputeStep(int j)
            {
                if (!LoadStepSizes(j)) return;
                var tableau = Dopri5.Tableau;
                Array.Copy(_y, _stage[6 * j], _len);
                bool kept = _b._keepSlopes;
                if (kept) LoadSlopes(j);
                else _f.Evaluate(_stage[6 * j], _kst[0], _w);
                for (int s = 1; s <= 6; s++)
                {
                    var terms = tableau[s - 1];
                    var dst = s < 6 ? _stage[6 * j + s] : _y;
                    for (int node = 1; node <= _b._nodes; node++)
                        for (int lane = 0, i = node * _w; lane < _w; lane++, i++)
                        {
                            double acc = 0;
                            foreach (var (coef, k) in terms) acc = Math.FusedMultiplyAdd(coef, _kst[k][i], acc);
                            dst[i] = Math.FusedMultiplyAdd(_h[lane], acc, _y[i]);
                        }
                    if (s < 6 && !kept) _f.Evaluate(dst, _kst[s], _w);
                }
                if (!kept) _b._recompute += 6;
            }

            /// <summary>The forward pass's slopes of slot j's step into _kst, lane by lane (a lane without a step in the slot gets zeros: its stages stay at y).</summary>
            private void LoadSlopes(int j)
            {
                int nodes = _b._nodes;
                for (int lane = 0; lane < _w; lane++)
                {
                    double[]? k = null;
                    if (_case[lane] >= 0)
                    {
                        int offset = j - (_k - _segmentLength[lane]);
                        if (offset >= 0) k = _b._slopes[_case[lane]][_l][_segment[lane] * _k + offset];
                    }
                    for (int s = 0; s < 6; s++)
                        for (int node = 0; node < nodes; node++) _kst[s][(node + 1) * _w + lane] = k is null ? 0.0 : k[s * nodes + node];
                }
            }

            /// <summary>
            /// Reverses the step in slot K - 1 - j: with lambda the adjoint after the step, stage s (6 down to 1) gets
            /// u_s = h (b_s lambda + sum over later stages m of a_ms v_m), v_s = J(Y_s)^T u_s, and lambda before the
            /// step is lambda + sum_s v_s. The parameter and trim sensitivities gather u_s df/dtheta and u_s.
            /// </summary>
            private void ReverseStep(int j)
            {
                int slot = _k - 1 - j;
                if (!LoadStepSizes(slot)) return;
                var tableau = Dopri5.Tableau;
                for (int s = 6; s >= 1; s--)
                {
                    for (int node = 1; node <= _b._nodes; node++)
                        for (int lane = 0, i = node * _w; lane < _w; lane++, i++)
                        {
                            double acc = Coefficient(tableau[5], s - 1) * _lambda[i];
                            for (int m = s + 1; m <= 6; m++) acc += Coefficient(tableau[m - 2], s - 1) * _v[m - 1][i];
                            double u = _h[lane] * acc;
                            _u[i] = u;
                            _trim[i] += u;
                        }
                    _f.Adjoint(_stage[6 * slot + s - 1], _u, _v[s - 1], _b._gradients[_l], _w);
                }
                for (int i = _w; i < _len; i++)
                    _lambda[i] += _v[0][i] + _v[1][i] + _v[2][i] + _v[3][i] + _v[4][i] + _v[5][i];
                _b._adjoint += 6;
            }

            /// <summary>The coefficient of k_(index+1) in a tableau row, 0 when the row does not use it.</summary>
            private static double Coefficient((double Coef, int K)[] row, int index)
            {
                foreach (var (coef, k) in row) if (k == index) return coef;
                return 0.0;
            }
        }
    }
}
