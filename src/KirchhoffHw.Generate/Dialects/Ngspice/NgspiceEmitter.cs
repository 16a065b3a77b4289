using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Generate.Templating;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Generate.Dialects.Ngspice;

/// <summary>What a written deck contains, for reports and benchmarks.</summary>
public sealed record DeckSummary(DeckStyle Style, int Capacitors, long Elements, double StopTime, IReadOnlyList<double> BoundaryTimes);

/// <summary>
/// Writes a design as an ngspice deck (ideal fidelity: every device law exact, as a behavioural source).
/// Node k is net `n&lt;k&gt;`, layer L's phase is net `ph&lt;L&gt;`; the input is the `.ic` of every node. Names and numbers come only from <see cref="Names"/> and <see cref="Numbers"/>.
/// </summary>
public sealed class NgspiceEmitter(TemplateSet? templates = null) : Netlister(templates), ISimulationDialect
{
    protected override ExpressionSyntax Syntax => NgspiceExpressionSyntax.Instance;

    public const string DeckTemplate = "spice/ngspice/deck.sbn";

    public DeckSummary Write(Design design, SpiceOptions options, TextWriter output)
    {
        var units = design.Units;
        // a pin-level law puts different currents on a device's two nodes: written per device, never summed per node pair
        bool pins = design.Layers.Any(l => l.Model.IsPinLevel);
        var style = pins && options.Devices is null ? DeckStyle.Devices
            : options.Style == DeckStyle.Auto
            ? (design.DeviceCount >= options.MergeThreshold ? DeckStyle.Merged : DeckStyle.Devices)
            : options.Style;
        var state = GetInitialState(design, options.Input);
        var caps = options.Devices?.NodeCapacitors(design);
        double tau = units.TimeUnit;
        double edge = GetPhaseEdge(design, options.PhaseEdge);
        double stop = design.TEnd * tau;

        var model = new DeckModel
        {
            Title = $"KirchhoffHw ngspice deck: {Names.CommentText(design.Name)}",
            DesignName = Names.CommentText(design.Name),
            Nodes = design.NodeCount,
            Devices = design.DeviceCount,
            Layers = design.Layers.Count,
            Style = style.ToString().ToLowerInvariant(),
            PerDevice = style == DeckStyle.Devices,
            Capacitance = Numbers.Format(units.Capacitance),
            TimeUnit = Numbers.Format(units.TimeUnit),
            VoltageScale = Numbers.Format(units.VoltageScale),
            CurrentScale = Numbers.Format(units.CurrentScale),
            Notes = options.Notes.Select(Names.CommentText).ToList(),
            Capacitors = Enumerable.Range(1, design.NodeCount)
                .Select(k => new CapacitorLine(Numbers.Format(k), Names.Node(k), Numbers.Format(state[k - 1] * units.VoltageScale),
                    Numbers.Format(caps?[k - 1] ?? units.Capacitance))).ToList(),
            Phases = GetPhaseWindows(design).Select(w => new PhaseLine(Names.Phase(w.Layer), FormatPhasePwl(w, tau, edge),
                $"layer {w.Layer}: t = [{Numbers.Format(design.Layers[w.Layer].TStart)}, {Numbers.Format(design.Layers[w.Layer].TEnd)}] x {Numbers.Format(tau)} s, " +
                $"{design.Layers[w.Layer].Edges.Count} {design.Layers[w.Layer].Model.Name} devices")).ToList(),
            SamplePwl = FormatSamplePwl(options.SampleTimes, design.TEnd, tau),
            Trims = GetTrims(design).Select(t => new TrimLine(Numbers.Format(t.Node), Names.Node(t.Node),
                FormatTrimPwl(design, t.Current * units.CurrentScale, tau, edge), Numbers.Format(t.Current))).ToList(),
            Options = GetSimulatorOptions(units, options.Accuracy ?? DeckAccuracy.Default, options.SimulatorOptions),
            Accuracy = Names.CommentText((options.Accuracy ?? DeckAccuracy.Default).Basis),
            NodeSets = options.NodeSets.Select(n => new NodeSetLine(
                Names.SimulatorNet(n.Net) ?? throw new ArgumentException($"'{n.Net}' is not a simulator net name", nameof(options)),
                Numbers.Format(n.Volts))).ToList(),
            TranStep = Numbers.Format(stop / 1000),
            TranStop = Numbers.Format(options.OperatingPointOnly ? stop / 1000 : stop),
            TranMax = Numbers.Format(options.MaxStepFraction * design.Layers.Min(l => l.Duration) * tau),
        };
        if (options.Devices is { } cells)
        {
            var block = new StringWriter { NewLine = "\n" };
            cells.Write(design, state, block);
            model.CellBlock = block.ToString();
            model.Fidelity = cells.Fidelity;
        }
        else if (style == DeckStyle.Devices) AddDevices(design, model, state);
        else AddMerged(design, model);

        Templates.Render(DeckTemplate, model, output);
        var boundaries = design.Layers.Select(l => l.TEnd * tau).ToList();
        long elements = options.Devices is null ? model.Instances.Count + model.Sources.Count : design.DeviceCount;
        return new DeckSummary(style, design.NodeCount, elements, stop, boundaries);
    }

    public string FormatDeck(Design design, SpiceOptions options) => Capture(w => Write(design, options, w));

    /// <summary>
    /// 1 V while the layer is connected. Each edge is a ramp of length <paramref name="edge"/> centred on the
    /// boundary, with a corner exactly at the boundary: gates switch at v = 0.5, i.e. exactly at t_i, and the
    /// corners make t_i a simulator breakpoint, so the boundary state is an actual time point.
    /// </summary>
    private static string FormatPhasePwl(PhaseWindow window, double tau, double edge)
    {
        var points = new List<(double T, double V)>();
        double a = window.Start * tau, b = window.End * tau, h = edge / 2;
        if (window.Start <= 0) points.Add((0, 1));
        else points.AddRange([(0, 0), (a - h, 0), (a, 0.5), (a + h, 1)]);
        if (window.SwitchesOff) points.AddRange([(b - h, 1), (b, 0.5), (b + h, 0)]);
        else points.Add((b, 1));
        return string.Join(" ", points.Select(p => $"{Numbers.Format(p.T)} {Numbers.Format(p.V)}"));
    }

    /// <summary>
    /// The trim's current (A) while any layer is connected, with the phases' edges: a run of adjacent layers is one
    /// window, so the source steps only where the banks all switch off, exactly where the reference's trims stop.
    /// </summary>
    private static string FormatTrimPwl(Design design, double amperes, double tau, double edge)
    {
        var points = new List<(double T, double I)>();
        double h = edge / 2;
        foreach (var (start, end, last) in GetTrimWindows(design))
        {
            double a = start * tau, b = end * tau;
            if (start <= 0) points.Add((0, amperes));
            else
            {
                if (points.Count == 0) points.Add((0, 0));
                points.AddRange([(a - h, 0), (a, amperes / 2), (a + h, amperes)]);
            }
            if (last) points.Add((b, amperes));
            else points.AddRange([(b - h, amperes), (b, amperes / 2), (b + h, 0)]);
        }
        return string.Join(" ", points.Select(p => $"{Numbers.Format(p.T)} {Numbers.Format(p.I)}"));
    }

    /// <summary>A source whose corners force time points at the requested sample times (it drives nothing).</summary>
    private static string? FormatSamplePwl(IReadOnlyList<double> times, double tEnd, double tau)
    {
        var inside = times.Where(t => t > 0 && t < tEnd).Distinct().Order().ToList();
        if (inside.Count == 0) return null;
        return "0 0 " + string.Join(" ", inside.Select(t => $"{Numbers.Format(t * tau)} 0"));
    }

    private static List<string> GetSimulatorOptions(Units units, DeckAccuracy accuracy, IReadOnlyDictionary<string, string> overrides)
    {
        var options = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["reltol"] = Numbers.Format(accuracy.RelTol),
            ["abstol"] = Numbers.Format(accuracy.CurrentFloor * units.CurrentScale),
            ["vntol"] = Numbers.Format(accuracy.VoltageFloor * units.VoltageScale),
            ["chgtol"] = Numbers.Format(accuracy.ChargeFloor * units.Capacitance * units.VoltageScale),
            ["method"] = "trap",
            ["itl4"] = "50",
            ["trtol"] = Numbers.Format(accuracy.TrTol),
        };
        foreach (var (key, value) in overrides) options[SimulatorOption.Key(key)] = SimulatorOption.Value(key, value);
        return options.Select(kv => $"{kv.Key}={kv.Value}").ToList();
    }

    /// <summary>A node voltage in model units as an expression operand.</summary>
    private static string FormatVoltage(int node, Units units) => node == 0 ? "0"
        : units.VoltageScale == 1.0 ? Names.Voltage(node) : $"({Names.Voltage(node)} / {Numbers.Format(units.VoltageScale)})";

    /// <summary>
    /// The net through which devices whose model lags (<see cref="DeviceModel.InputLag"/>) see node k: the node through
    /// a unity buffer and an RC of the lag's time constant, so the node itself is not loaded.
    /// </summary>
    private static string LaggedNet(int node) => node == 0 ? "0" : "nlag" + Numbers.Format(node);

    private void AddDevices(Design design, DeckModel model, double[] state)
    {
        var k = Numbers.Format(design.Units.CurrentScale);
        string Seen(string net) => design.Units.VoltageScale == 1.0 ? $"v({net})" : $"(v({net}) / {Numbers.Format(design.Units.VoltageScale)})";
        // one lag per deck: the cells of every layer are of one family
        var lags = design.Layers.Select(l => l.Model.InputLag).Where(x => x > 0).Distinct().ToList();
        if (lags.Count > 1) throw new NotSupportedException($"the layers' cells lag by different amounts ({string.Join(", ", lags)} time units): one deck filters its nodes once");
        if (lags.Count == 1)
        {
            // the 1 kOhm buffer resistor is arbitrary: the capacitor makes R C the lag in seconds
            double seconds = lags[0] * design.Units.TimeUnit;
            model.LagSeconds = Numbers.Format(seconds);
            for (int n = 1; n <= design.NodeCount; n++)
                model.Lags.Add(new LagLine(Numbers.Format(n), Names.Node(n), "nbuf" + Numbers.Format(n), LaggedNet(n),
                    Numbers.Format(seconds / 1e3), Numbers.Format(state[n - 1] * design.Units.VoltageScale)));
        }
        foreach (var m in GetModels(design))
        {
            var p = m.ParameterNames.Select(n => "{" + n + "}").ToList();
            bool lagged = m.InputLag > 0;
            string vs = Seen(lagged ? "srcl" : "src"), vd = Seen(lagged ? "dstl" : "dst");
            string Gated(Expr law) => $"v(ph) > 0.5 ? {k} * {Syntax.Render(law, vs, vd, p)} : 0";
            if (m.IsPinLevel)
            {
                var (outOfSource, intoDestination) = m.PinLaws
                    ?? throw new NotSupportedException($"device model {m.Name} puts different currents on its pins but has no pin laws: it is solved in software only");
                model.Subcircuits.Add(new SubcircuitBlock(Names.Identifier(m.Name), string.Join(" ", m.ParameterNames.Select(n => $"{n}=0")),
                    m.Equation, Gated(outOfSource), Gated(intoDestination)) { Lagged = lagged });
                continue;
            }
            if (lagged) throw new NotSupportedException($"device model {m.Name} lags but is two-terminal: only pin-level cells carry a lag");
            model.Subcircuits.Add(new SubcircuitBlock(
                Names.Identifier(m.Name),
                string.Join(" ", m.ParameterNames.Select(n => $"{n}=0")),
                m.Equation,
                Gated(m.Law)));
        }
        for (int li = 0; li < design.Layers.Count; li++)
        {
            var layer = design.Layers[li];
            var names = layer.Model.ParameterNames;
            var sub = Names.Identifier(layer.Model.Name);
            string phase = Names.Phase(li), prefix = "L" + Numbers.Format(li) + "_";
            for (int e = 0; e < layer.Edges.Count; e++)
            {
                var parameters = string.Join(" ", names.Select((n, i) => $"{n}={Numbers.Format(layer.Theta[i * layer.Edges.Count + e])}"));
                int s = layer.Edges.Source[e], d = layer.Edges.Destination[e];
                model.Instances.Add(new InstanceLine(prefix + Numbers.Format(e), Names.Node(s), Names.Node(d), phase, sub, parameters,
                    layer.Model.InputLag > 0 ? $"{LaggedNet(s)} {LaggedNet(d)}" : null));
            }
        }
    }

    private void AddMerged(Design design, DeckModel model)
    {
        var units = design.Units;
        foreach (var pair in GetNodePairs(design))
        {
            int a = pair.A, b = pair.B;
            string expr = "0";
            for (int li = design.Layers.Count - 1; li >= 0; li--)
            {
                if (pair.DevicesByLayer[li] is not { } devices) continue;
                expr = $"v({Names.Phase(li)}) > 0.5 ? {FormatPairLaw(design.Layers[li], devices, a, b, units)} : {(expr == "0" ? "0" : $"({expr})")}";
            }
            model.Sources.Add(new SourceLine(Numbers.Format(a) + "_" + Numbers.Format(b), Names.Node(a), Names.Node(b), expr));
        }
    }

    /// <summary>The current from a to b of all this layer's devices between a and b, in amperes.</summary>
    private string FormatPairLaw(Layer layer, IReadOnlyList<int> edges, int a, int b, Units units)
    {
        var m = layer.Model;
        var p = new double[m.ParameterCount];
        double k = units.CurrentScale;

        double Current(int e, double x) // x = (va - vb) in model units; only for laws of vs - vd
        {
            for (int i = 0; i < p.Length; i++) p[i] = layer.Theta[i * layer.Edges.Count + e];
            return layer.Edges.Source[e] == a ? m.Current(x, 0, p) : -m.Current(-x, 0, p);
        }

        if (m.DependsOnDifferenceOnly && m.Kinks(layer.ParametersOf(edges[0])) is not null)
        {
            // Sum of piecewise-linear laws of x: exact as one table; ngspice's pwl() extrapolates its end
            // segments linearly, so one point beyond the outermost kinks on each side is enough.
            var kinks = new SortedSet<double>();
            foreach (var e in edges)
                foreach (var x in m.Kinks(layer.ParametersOf(e))!)
                    kinks.Add(layer.Edges.Source[e] == a ? x : -x);
            var xs = new List<double>();
            if (kinks.Count == 0) xs.AddRange([-1.0, 1.0]);
            else { xs.Add(kinks.Min - 1); xs.AddRange(kinks); xs.Add(kinks.Max + 1); }
            var table = string.Join(", ", xs.Select(x => $"{Numbers.Format(x)}, {Numbers.Format(k * edges.Sum(e => Current(e, x)))}"));
            string arg = a == 0 ? $"-{FormatVoltage(b, units)}" : $"{FormatVoltage(a, units)} - {FormatVoltage(b, units)}";
            return $"pwl({arg}, {table})";
        }
        // A device from b to a counts negatively: subtracted, not added as -law (one operation fewer for ngspice).
        var sum = new System.Text.StringBuilder();
        string? va = a == 0 ? null : FormatVoltage(a, units), vb = FormatVoltage(b, units); // null: ground, folded away
        foreach (var e in edges)
        {
            bool forward = layer.Edges.Source[e] == a;
            var law = Syntax.Render(m.Law, forward ? va : vb, forward ? vb : va, layer.ParametersOf(e));
            sum.Append(sum.Length == 0 ? (forward ? "" : "-") : (forward ? " + " : " - ")).Append(law);
        }
        return $"{Numbers.Format(k)} * ({sum})";
    }

    // Template model: every field is finished text.
    private sealed class DeckModel
    {
        public required string Title { get; init; }
        public required string DesignName { get; init; }
        public required int Nodes { get; init; }
        public required long Devices { get; init; }
        public required int Layers { get; init; }
        public required string Style { get; init; }
        public required bool PerDevice { get; init; }
        public required string Capacitance { get; init; }
        public required string TimeUnit { get; init; }
        public required string VoltageScale { get; init; }
        public required string CurrentScale { get; init; }
        public required List<string> Notes { get; init; }
        public required List<CapacitorLine> Capacitors { get; init; }
        public required List<PhaseLine> Phases { get; init; }
        public required string? SamplePwl { get; init; }
        public required List<string> Options { get; init; }
        public required string Accuracy { get; init; }
        public required List<NodeSetLine> NodeSets { get; init; }
        public required string TranStep { get; init; }
        public required string TranStop { get; init; }
        public required string TranMax { get; init; }
        public List<SubcircuitBlock> Subcircuits { get; } = [];
        public List<InstanceLine> Instances { get; } = [];
        public List<SourceLine> Sources { get; } = [];
        public required List<TrimLine> Trims { get; init; }
        public string? CellBlock { get; set; }
        public List<LagLine> Lags { get; } = [];
        public string? LagSeconds { get; set; }
        public string Fidelity { get; set; } = "ideal";
    }

    private sealed record NodeSetLine(string Net, string Volts);
    private sealed record CapacitorLine(string Index, string Node, string Ic, string Farads);
    private sealed record TrimLine(string Index, string Node, string Pwl, string ModelCurrent);
    private sealed record PhaseLine(string Node, string Pwl, string Comment);
    /// <summary>Current: src -> dst; with <see cref="IntoDestination"/>, Current is drawn out of src and IntoDestination fed into dst.</summary>
    private sealed record SubcircuitBlock(string Name, string Parameters, string Equation, string Current, string? IntoDestination = null)
    {
        /// <summary>The law reads its nodes through their lag filters (ports srcl, dstl) and puts its currents on the nodes.</summary>
        public bool Lagged { get; init; }
    }

    /// <param name="LaggedNets">"srcl dstl": the two nodes' lag filter outputs, for a subcircuit that lags; null otherwise.</param>
    private sealed record InstanceLine(string Name, string Src, string Dst, string Phase, string Subcircuit, string Parameters, string? LaggedNets = null);
    private sealed record LagLine(string Index, string Node, string Buffer, string Lagged, string Farads, string Ic);
    private sealed record SourceLine(string Name, string A, string B, string Current);
}
