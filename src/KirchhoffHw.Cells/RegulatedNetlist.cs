using KirchhoffHw.Generate;
using KirchhoffHw.Generate.Dialects;
using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Generate.Templating;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Cells;

/// <summary>What one device becomes in a v2 deck: the physical quantities its a, b, c and amplitude map to.</summary>
/// <param name="SourceRatio">Signed width ratio of the copies of the source node's driver lines (a), 0 for node 0.</param>
/// <param name="DestinationRatio">Signed width ratio of the copies of the destination node's driver lines (b).</param>
/// <param name="ConstantRatio">Width ratio of node 0's line copies that carry c (tanh: the difference of the two sides' standing copies).</param>
/// <param name="Bias">Core tail current (tanh) or output mirror current per model unit of u (ReLU), A.</param>
/// <param name="Scale">Core width scale k = bias / unit bias (tanh) or output mirror ratio (ReLU).</param>
/// <param name="Problem">Why the device is not built as trained (clamped), null when it is.</param>
public readonly record struct RegulatedDevice(int Layer, int Edge, string Kind, double SourceRatio, double DestinationRatio, double ConstantRatio,
    double Bias, double Scale, string? Problem);

/// <summary>
/// The transistor deck of v2 cells (<see cref="RegulatedTopology"/>, `regulated.sbn`): MOS transistors, capacitors and
/// independent sources only. Per node an input driver; per device its weight copies, input stage and core (tanh) or
/// rectifier; per node pair one output stage summing every core of every layer on that pair; per layer an
/// active-low phase line (an independent PWL source, rail to rail) gating each core's tail and each rectifier's
/// output. Everything is sized from <see cref="RegulatedFamily.Deck"/> and its measured figures.
/// </summary>
public sealed class RegulatedNetlist(Technology tech, TemplateSet? templates = null) : IDeviceNetlist
{
    public const string BankTemplate = "spice/cells/regulated_bank.sbn";
    private readonly TemplateSet _templates = templates ?? TemplateSet.Default;

    public string Fidelity => "transistor";

    /// <summary>regulated_bank.sbn's Vdd and Vss: every transistor of the deck draws from them.</summary>
    public IReadOnlyList<SupplyRail> Rails => [new("Vdd", tech.Vdd), new("Vss", tech.Vss)];

    /// <summary>
    /// Phase edges are ramps of this many time units: the cells' own time constants are a fraction of a time unit at the
    /// biases the design asks for, so a ramp of 1 % of a unit is sharp against the dynamics while ngspice resolves it in
    /// a few steps (femtosecond edges stall its step control on the switched tails).
    /// </summary>
    public const double Ramp = 0.01;

    /// <summary>
    /// ngspice options of a v2 deck (the user's overrides win). Relative tolerance 1e-4 against the cells' own
    /// currents; absolute tolerances from the design's units (node charge and voltage) and the smallest bias in a
    /// cell (the followers' current): the ideal deck's 1e-9 of a unit would make every internal node of every cell
    /// chase femtoamps. Gear integration, because the switched tails and regulated loops are stiff; truncation error
    /// at ngspice's default trtol (the ideal deck's 0.15 is for behavioural nodes whose estimate runs true).
    /// </summary>
    public static IReadOnlyDictionary<string, string> SimulatorOptions(Units units, IReadOnlyDictionary<string, string> overrides)
    {
        var options = new Dictionary<string, string>
        {
            ["reltol"] = "1e-4",
            ["abstol"] = Numbers.Format(1e-5 * Unit.Small),
            ["vntol"] = Numbers.Format(1e-5 * units.VoltageScale),
            ["chgtol"] = Numbers.Format(1e-6 * units.Capacitance * units.VoltageScale),
            ["method"] = "gear",
            ["trtol"] = "7",
            ["itl4"] = "100",
        };
        foreach (var (k, v) in overrides) options[k] = v;
        return options;
    }

    /// <summary>True when every layer's law is a tanh, ReLU or leaky ReLU of an affine input (what the v2 cells build).</summary>
    public static bool Builds(Design design) =>
        design.Layers.All(l => l.Model.HasAffineForm && l.Model.Family is DeviceFamily.Tanh or DeviceFamily.Relu or DeviceFamily.LeakyRelu);

    /// <param name="Boost">Factor on every current and node capacitance (<see cref="CapacitanceBoost"/>).</param>
    private sealed record Plan(List<RegulatedDevice> Devices, Dictionary<(int, int), double[]> PairLoad, double[] Copies, double Boost);

    private static UnitCell Unit => RegulatedFamily.Deck;
    private static UnitFigures Fig => RegulatedFamily.Characterized;
    private static InputSizing In => RegulatedFamily.Units.First(u => u.Name == Unit.InputUnit).Input!;

    /// <summary>A device built at its unit's limit, as the deck's comments and reports name it.</summary>
    private static string Describe(RegulatedDevice device) => $"device {device.Layer}_{device.Edge}: {device.Problem}";

    /// <summary>The devices as built: ratios, biases and problems (the per-device mapping export).</summary>
    public IReadOnlyList<RegulatedDevice> Map(Design design) => Build(design).Devices;

    /// <inheritdoc cref="Map"/>
    public static IReadOnlyList<RegulatedDevice> MapDevices(Design design) => Build(design).Devices;

    /// <summary>
    /// Share of every node's capacitance that stays an explicit capacitor when the cells' own capacitance is large:
    /// the drivers' input capacitance is an estimate at one operating point (within 5 % of a node's measured
    /// charge over +-0.4 V) and varies with the node voltage; this much linear capacitor bounds what that costs.
    /// </summary>
    public const double ExplicitShare = 0.1;

    /// <summary>
    /// The factor by which the deck multiplies every device current and every node's capacitance (1 when the cells fit).
    /// Two things ask for it. The unit cell's smallest bias: cores asking less are lifted into the unit's range (as far
    /// as the largest core allows). And a node's drivers and output pins have their own capacitance (the driver's input pairs grow with the node's
    /// fan-out); when it exceeds what the design's node capacitance leaves room for, the node would charge more slowly
    /// than the design's time unit (a node of twice the capacitance moves half as far). Scaling every current and every
    /// node capacitance by the same factor keeps each node's dv/dt = I / C, so the deck computes the design at its time
    /// unit and voltage scale at this factor's power; the drivers' capacitance does not grow with the currents.
    /// </summary>
    public static double CapacitanceBoost(Design design) => Build(design).Boost;

    private static Plan Build(Design design)
    {
        // the drivers' capacitance is fixed by the weights, the output pins' grows with the currents: per node the boost
        // m must satisfy (1 - share) m C >= D + m p (p = pin capacitance per unit of boost). Iterated because clamped
        // biases and the stages' smallest scale make p depend on m; when the pins alone take a node's share, no boost
        // helps and the deck keeps the design's currents (the node is then listed in Overloaded)
        double room = (1 - ExplicitShare) * design.Units.Capacitance, boost = 1;
        var plan = Build(design, boost);
        for (int i = 0; i < 20; i++)
        {
            var (drivers, pins) = CellCapacitance(design, plan);
            double want = 1;
            for (int n = 1; n <= design.NodeCount; n++)
            {
                double perBoost = pins[n] / boost;
                if (perBoost >= room) return Build(design, 1);
                want = Math.Max(want, drivers[n] / (room - perBoost));
            }
            if (Math.Abs(want - boost) <= 1e-9 * want) break;
            boost = want;
            plan = Build(design, boost);
        }
        // Cores asking less than the unit's smallest bias would be built at that limit, not as trained (at 1 pF, slow
        // time units ask nanoamperes): lift every current and node capacitance together until the smallest core fits,
        // as far as the largest core allows. More capacitance only adds room for the cells' own.
        var cores = plan.Devices.Where(d => d.Kind == "tanh" && d.Bias > 0).Select(d => d.Bias).ToList();
        if (cores.Count > 0 && cores.Min() < Unit.MinBias)
        {
            double lift = Math.Min(Unit.MinBias / cores.Min(), Unit.MaxBias / cores.Max());
            if (lift > 1) plan = Build(design, boost * lift);
        }
        return plan;
    }

    /// <summary>Each node's own capacitance in the cells (F, index = node): its driver's input, and its output stages' pins.</summary>
    private static (double[] Drivers, double[] Pins) CellCapacitance(Design design, Plan plan)
    {
        var pins = new double[design.NodeCount + 1];
        foreach (var ((i, j), loads) in plan.PairLoad)
        {
            double k = StageScale(loads);
            pins[i] += Fig.PinCapacitance * k;
            pins[j] += Fig.PinCapacitance * k;
        }
        var drivers = Enumerable.Range(0, design.NodeCount + 1).Select(n => Fig.DriverCapacitance * DriverScale(plan, n)).ToArray();
        return (drivers, pins);
    }

    private static Plan Build(Design design, double boost)
    {
        var u = design.Units;
        double vscale = u.VoltageScale, iscale = u.CurrentScale * boost;
        double beta = In.StandingCurrent / Fig.LineCurrent, gamma = Fig.Kappa * Fig.S / Fig.LineCurrent;
        var devices = new List<RegulatedDevice>();
        var pairLoad = new Dictionary<(int, int), double[]>();
        var copies = new double[design.NodeCount + 1];
        for (int li = 0; li < design.Layers.Count; li++)
        {
            var layer = design.Layers[li];
            var family = layer.Model.Family;
            for (int e = 0; e < layer.Edges.Count; e++)
            {
                var p = layer.ParametersOf(e);
                var f = layer.Model.Affine(p);
                int s = layer.Edges.Source[e], d = layer.Edges.Destination[e];
                double a = f.A / vscale, b = f.B / vscale;
                if (f.Amplitude == 0 || (a == 0 && b == 0 && f.C == 0)) continue;
                double ra = s != 0 ? Fig.Kappa * a : 0, rb = d != 0 ? Fig.Kappa * b : 0;
                // the input stage compresses u by 1 / (1 + rho sum |r|): drawn ratios are pre-scaled so the realized ones are the wanted ones
                double tot = Math.Abs(ra) + Math.Abs(rb);
                double g = Fig.Compression * tot < 0.5 ? 1 / (1 - Fig.Compression * tot) : 2;
                ra *= g;
                rb *= g;
                string? problem = Fig.Compression * tot >= 0.5 ? $"weights {tot:G3} compress the input stage beyond its range" : null;
                double bias, scale, constant, imax;
                string kind;
                if (family == DeviceFamily.Tanh)
                {
                    kind = "tanh";
                    bias = Math.Abs(f.Amplitude) * iscale / Fig.Amplitude;
                    scale = bias / Unit.Bias;
                    if (scale < Unit.MinScale || scale > Unit.MaxScale)
                        problem ??= $"core bias {bias:G3} A is outside unit {Unit.Name}'s {Unit.MinBias:G3} .. {Unit.MaxBias:G3} A; built at the limit";
                    scale = Math.Clamp(scale, Unit.MinScale, Unit.MaxScale);
                    constant = 2 * gamma * f.C * g;
                    if (Math.Abs(gamma * f.C * g) >= beta) problem ??= $"constant term {f.C:G3} exceeds the input stage's standing current; clamped";
                    imax = scale * Unit.Bias * Fig.Amplitude;
                }
                else
                {
                    kind = family == DeviceFamily.LeakyRelu ? "leaky" : "relu";
                    bias = Math.Abs(f.Amplitude) * iscale;
                    scale = bias / (Fig.Kappa * Fig.S);
                    constant = Fig.Kappa * Fig.S * f.C * g / Fig.LineCurrent;
                    imax = 3 * bias;
                }
                devices.Add(new RegulatedDevice(li, e, kind, ra, rb, constant, bias, scale, problem));
                int i = Math.Min(s, d), j = Math.Max(s, d);
                if (!pairLoad.TryGetValue((i, j), out var loads)) pairLoad[(i, j)] = loads = new double[design.Layers.Count];
                loads[li] += imax;
                int sides = kind == "tanh" ? 2 : 1;
                copies[s] += Math.Abs(ra) * sides;
                copies[d] += Math.Abs(rb) * sides;
            }
        }
        return new Plan(devices, pairLoad, copies, boost);
    }

    /// <summary>Output-stage width scale of a node pair: its largest per-layer load in unit biases (at least 0.1).</summary>
    private static double StageScale(double[] loads) => Math.Max(loads.Max() / Unit.Bias, 0.1);

    /// <summary>
    /// Each node's capacitor: the design's capacitance times the boost, less the cells' own. Only when the output pins
    /// alone outgrow the node (no boost converges) is a node left with 1 % of it, and listed in <see cref="Overloaded"/>.
    /// </summary>
    public IReadOnlyList<double>? NodeCapacitors(Design design)
    {
        var plan = Build(design);
        var (drivers, pins) = CellCapacitance(design, plan);
        double c = design.Units.Capacitance * plan.Boost;
        var caps = new double[design.NodeCount];
        var over = new List<int>();
        for (int n = 1; n <= design.NodeCount; n++)
        {
            caps[n - 1] = c - drivers[n] - pins[n];
            if (caps[n - 1] < 0.01 * c) { over.Add(n); caps[n - 1] = 0.01 * c; }
        }
        Overloaded = over;
        return caps;
    }

    /// <summary>Nodes whose cells' own capacitance exceeds the boosted node capacitance (set by <see cref="NodeCapacitors"/>).</summary>
    public IReadOnlyList<int> Overloaded { get; private set; } = [];

    /// <summary>A driver's width scale: one unit drives copies summing to 20 unit ratios; node 0's drives every cancellation copy.</summary>
    private static double DriverScale(Plan plan, int node) =>
        node == 0 ? Math.Max(1, plan.Copies.Sum() / 20) : Math.Max(1, plan.Copies[node] / 20);

    public void Write(Design design, IReadOnlyList<double> initialState, TextWriter output) => Render(design, initialState, output, null);

    /// <summary>The devices the deck builds at the limit of its unit cell: how many, and why the first (null when none).</summary>
    public static (int AtLimit, string? First) Limits(Design design) => Limits(Build(design));

    private static (int AtLimit, string? First) Limits(Plan plan)
    {
        var limited = plan.Devices.Where(d => d.Problem is not null).ToList();
        return (limited.Count, limited.Count == 0 ? null : Describe(limited[0]));
    }

    /// <summary>What the v2 cells are called in reports: the family whose transistors <see cref="Count"/> counts.</summary>
    public static string Family => $"v2 regulated cells (unit {Unit.Name}: per device its weight copies, input stage and core or rectifier; per node a driver; per node pair an output stage)";

    /// <summary>
    /// The MOS transistors of the deck <see cref="Write"/> writes for <paramref name="design"/>, counted by writing it:
    /// the devices' lines are counted as they are made (not kept), the rest of the deck is rendered and its M lines
    /// counted with every subcircuit instance expanded.
    /// </summary>
    public DeckCount Count(Design design)
    {
        var tally = new long[1];
        using var rest = new MosCounter();
        var plan = Render(design, new double[design.NodeCount], rest, tally);
        var (atLimit, first) = Limits(plan);
        return new DeckCount(Family, tally[0], rest.Transistors) { CapacitanceBoost = plan.Boost, DevicesAtLimit = atLimit, FirstLimit = first };
    }

    /// <param name="tally">Null: write the deck. Otherwise the devices' M lines are counted into tally[0] instead of written.</param>
    private Plan Render(Design design, IReadOnlyList<double> initialState, TextWriter output, long[]? tally)
    {
        var plan = Build(design);
        var units = design.Units;
        double tau = units.TimeUnit, ramp = Ramp * tau;
        var unit = Unit;
        var input = In;
        double beta = input.StandingCurrent / Fig.LineCurrent;
        string N = tech.Models.Nmos, P = tech.Models.Pmos;
        string F(double x) => Numbers.Format(x);
        string Line(int node, string kind) => kind + "_" + Numbers.Format(node);
        var mos = new List<string>();
        void M(string name, string d, string g, string s, string b, bool nmos, double w, double l)
        {
            if (tally is not null) tally[0]++;
            else mos.Add($"M{name} {d} {g} {s} {b} {(nmos ? N : P)} w={F(w)} l={F(l)}");
        }

        var comments = new List<string>();
        foreach (var dev in plan.Devices)
        {
            var layer = design.Layers[dev.Layer];
            int s = layer.Edges.Source[dev.Edge], d = layer.Edges.Destination[dev.Edge];
            int i = Math.Min(s, d), j = Math.Max(s, d);
            bool forward = s <= d;
            string name = $"{Numbers.Format(dev.Layer)}_{Numbers.Format(dev.Edge)}";
            string phb = "phb" + Numbers.Format(dev.Layer);
            string d1 = $"d1_{Numbers.Format(i)}_{Numbers.Format(j)}", d2 = $"d2_{Numbers.Format(i)}_{Numbers.Format(j)}";
            var f = layer.Model.Affine(layer.ParametersOf(dev.Edge));
            if ((f.Amplitude > 0) != forward) (d1, d2) = (d2, d1);
            if (tally is null) mos.Add($"* device {name}: {dev.Kind}, {Names.Node(s)} -> {Names.Node(d)}" + (dev.Problem is null ? "" : " (" + Names.CommentText(dev.Problem) + ")"));
            double wc = input.CopyWidth, lc = input.CopyLength;
            var inputs = new List<(int Node, double Ratio, string Tag)>();
            if (s != 0 && dev.SourceRatio != 0) inputs.Add((s, dev.SourceRatio, "s"));
            if (d != 0 && dev.DestinationRatio != 0) inputs.Add((d, dev.DestinationRatio, "d"));
            if (dev.Kind == "tanh")
            {
                // side a's standing current is beta of node 0's P line less the c share, side b's beta of its M line plus it
                double half = dev.ConstantRatio / 2;
                var cancel = new Dictionary<string, double> { ["ap"] = Math.Max(beta - half, 0), ["am"] = 0, ["bp"] = 0, ["bm"] = Math.Max(beta + half, 0) };
                foreach (var (node, r, tag) in inputs)
                {
                    // a positive ratio: the P line into side a, the M line into side b (side a's current falls, b's rises with v)
                    string la = r > 0 ? Line(node, "np") : Line(node, "nm"), lb = r > 0 ? Line(node, "nm") : Line(node, "np");
                    M($"{name}_{tag}a", $"xa_{name}", la, "vss", "vss", true, RegulatedFamily.RatioWidth(Math.Abs(r), wc), lc);
                    M($"{name}_{tag}b", $"xb_{name}", lb, "vss", "vss", true, RegulatedFamily.RatioWidth(Math.Abs(r), wc), lc);
                    cancel[r > 0 ? "ap" : "am"] += Math.Abs(r);
                    cancel[r > 0 ? "bm" : "bp"] += Math.Abs(r);
                }
                foreach (var side in new[] { "a", "b" })
                {
                    foreach (var kind in new[] { "p", "m" })
                        if (cancel[side + kind] > 0)
                            M($"{name}_z{side}{kind}", $"x{side}_{name}", kind == "p" ? "pp_0" : "pm_0", "vdd", "vdd", false, RegulatedFamily.RatioWidth(cancel[side + kind], 2 * wc), lc);
                    M($"{name}_g{side}", $"s{side}_{name}", "vcg", $"x{side}_{name}", "vdd", false, input.CommonGateWidth, input.CommonGateLength);
                    M($"{name}_l{side}", $"s{side}_{name}", "vdd", "vss", "vss", true, input.LoadWidth, input.LoadLength);
                }
                // effective widths k times the unit's (RatioWidth): the tail is a copy of the unit-width tail line
                double k = dev.Scale;
                M($"{name}_1", d1, $"sa_{name}", $"t_{name}", "vdd", false, RegulatedFamily.RatioWidth(k, unit.Core.PairWidth), unit.Core.PairLength);
                M($"{name}_2", d2, $"sb_{name}", $"t_{name}", "vdd", false, RegulatedFamily.RatioWidth(k, unit.Core.PairWidth), unit.Core.PairLength);
                M($"{name}_t", $"w_{name}", "tl", "vdd", "vdd", false, RegulatedFamily.RatioWidth(k, unit.Core.TailWidth), unit.Core.TailLength);
                M($"{name}_s", $"t_{name}", phb, $"w_{name}", "vdd", false, RegulatedFamily.RatioWidth(k, 2 * unit.Core.TailWidth), unit.Core.PairLength);
            }
            else
            {
                // the weighted input's net current at a summing node flows through an nMOS common gate only when positive,
                // into a pMOS diode whose copy (Scale times) pushes into d1; the leaky side is the mirror image into d2
                double m = dev.Scale;
                var sides = new List<(string Side, int Sign, double M, string Out)> { ("a", 1, m, d1) };
                if (dev.Kind == "leaky") sides.Add(("b", -1, Activations.LeakySlope * m, d2));
                foreach (var (side, sign, mm, dout) in sides)
                {
                    string x = $"x{side}_{name}";
                    double cp = 0, cm = 0, sp = 0;
                    foreach (var (node, r, tag) in inputs)
                    {
                        double rr = sign * r;
                        M($"{name}_{tag}{side}", x, rr > 0 ? Line(node, "np") : Line(node, "nm"), "vss", "vss", true, RegulatedFamily.RatioWidth(Math.Abs(rr), wc), lc);
                        if (rr > 0) cp += Math.Abs(rr); else cm += Math.Abs(rr);
                    }
                    double rc = sign * dev.ConstantRatio;
                    if (rc > 0) sp += rc; else if (rc < 0) cp += -rc;
                    if (cp > 0) M($"{name}_z{side}p", x, "pp_0", "vdd", "vdd", false, RegulatedFamily.RatioWidth(cp, 2 * wc), lc);
                    if (cm > 0) M($"{name}_z{side}m", x, "pm_0", "vdd", "vdd", false, RegulatedFamily.RatioWidth(cm, 2 * wc), lc);
                    if (sp > 0) M($"{name}_c{side}p", x, "np_0", "vss", "vss", true, RegulatedFamily.RatioWidth(sp, wc), lc);
                    string sn = $"s{side}_{name}";
                    M($"{name}_g{side}", sn, "vcgn", x, "vss", true, input.CommonGateWidth / 2, input.CommonGateLength);
                    M($"{name}_l{side}", sn, sn, "vdd", "vdd", false, input.CopyWidth, input.CopyLength);
                    M($"{name}_o{side}", $"o{side}_{name}", sn, "vdd", "vdd", false, RegulatedFamily.RatioWidth(mm, input.CopyWidth), input.CopyLength);
                    M($"{name}_w{side}", dout, phb, $"o{side}_{name}", "vdd", false, 2 * RegulatedFamily.RatioWidth(mm, input.CopyWidth), input.CommonGateLength);
                }
            }
        }

        var driverUnit = RegulatedFamily.Units.First(x => x.Name == unit.InputUnit);
        var drivers = Enumerable.Range(0, design.NodeCount + 1).Select(n => new Dictionary<string, object>
        {
            ["name"] = Numbers.Format(n), ["net"] = Names.Node(n),
            ["params"] = DriverParams(driverUnit, DriverScale(plan, n)),
        }).ToList();
        var stages = plan.PairLoad.OrderBy(kv => kv.Key).Select(kv => new Dictionary<string, object>
        {
            ["name"] = $"{Numbers.Format(kv.Key.Item1)}_{Numbers.Format(kv.Key.Item2)}",
            ["to"] = Names.Node(kv.Key.Item2), ["from"] = Names.Node(kv.Key.Item1),
            ["params"] = RegParams(unit, StageScale(kv.Value)) + $" cc={F(unit.StageCompensation)} rt={F(Fig.TrimTo)} rf={F(Fig.TrimFrom)} nt={F(Fig.TrimToN)} nf={F(Fig.TrimFromN)}",
        }).ToList();
        var phases = Netlister.GetPhaseWindows(design).Select(w =>
        {
            // active low, rail to rail: the layer's cores and rectifiers conduct while it is at vss
            var pts = new List<(double T, double V)>();
            double a = w.Start * tau, b = w.End * tau, h = ramp / 2;
            if (w.Start <= 0) pts.Add((0, tech.Vss));
            else pts.AddRange([(0, tech.Vdd), (a - h, tech.Vdd), (a + h, tech.Vss)]);
            if (w.SwitchesOff) pts.AddRange([(b - h, tech.Vss), (b + h, tech.Vdd)]);
            else pts.Add((b, tech.Vss));
            return new Dictionary<string, object>
            {
                ["net"] = "phb" + Numbers.Format(w.Layer), ["index"] = Numbers.Format(w.Layer),
                ["pwl"] = string.Join(" ", pts.Select(p => $"{F(p.T)} {F(p.V)}")),
            };
        }).ToList();
        double span = tech.Vdd - tech.Vss, mid = (tech.Vdd + tech.Vss) / 2;
        var model = new Dictionary<string, object>(CellTemplates.Common(tech))
        {
            ["cells"] = new List<Dictionary<string, object>> { CellTemplates.Cell(CellTopologies.Regulated, Fig.TrimTo) },
            ["devices"] = Numbers.Format(plan.Devices.Count),
            ["transistors"] = Numbers.Format(mos.Count(l => l.StartsWith('M'))),
            ["unit"] = unit.Name,
            ["vdd"] = F(tech.Vdd), ["vss"] = F(tech.Vss),
            ["bias"] = new List<Dictionary<string, object>> { BiasBlock(unit, "o", unit.Small * unit.StageBias), BiasBlock(driverUnit, "i", driverUnit.Small) },
            ["refs"] = RegulatedFamily.DriverCenters.Select((c, i) => new Dictionary<string, object> { ["index"] = Numbers.Format(i), ["volts"] = F(mid + c * span) }).ToList(),
            ["tail_bias"] = F(unit.Bias), ["tail_w"] = F(unit.Core.TailWidth), ["tail_l"] = F(unit.Core.TailLength),
            ["cg_w"] = F(input.CommonGateWidth), ["cg_l"] = F(input.CommonGateLength), ["cg_bias"] = F(input.StandingCurrent),
            ["cgn_w"] = F(input.CommonGateWidth / 2), ["cgn_bias"] = F(input.StandingCurrent / 10),
            ["phases"] = phases,
            ["drivers"] = drivers,
            ["mos"] = mos,
            ["stages"] = stages,
            ["switch_width"] = F(tech.Cells.SwitchWidth), ["switch_length"] = F(tech.MinLength),
            ["precharge"] = Enumerable.Range(1, design.NodeCount).Select(k => new Dictionary<string, object>
            {
                ["index"] = Numbers.Format(k), ["node"] = Names.Node(k),
                ["volts"] = F(initialState[k - 1] * units.VoltageScale),
            }).ToList(),
        };
        _templates.Render(BankTemplate, model, output);
        return plan;
    }

    private static readonly System.Text.RegularExpressions.Regex Trouble = new("trouble with node \\\"?([^\\\"\\s]+)",
        System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant);
    private static readonly System.Text.RegularExpressions.Regex DeviceNet = new("^[a-z0-9]+_([0-9]+)_([0-9]+)$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>
    /// The cell owning the net ngspice names in "trouble with node ...": an output stage (Xos&lt;i&gt;_&lt;j&gt;), a
    /// driver (Xdrv&lt;k&gt;), a device's internal net (&lt;net&gt;_&lt;layer&gt;_&lt;device&gt;) or a design node.
    /// </summary>
    public string? Locate(string message)
    {
        var m = Trouble.Match(message);
        if (!m.Success) return null;
        string net = m.Groups[1].Value.ToLowerInvariant();
        string head = net.Split('.')[0];
        if (head.EndsWith("#branch", StringComparison.Ordinal))
        {
            // a source's current: the phase lines and supplies feed every cell of a layer, the precharge sources one node
            string source = head[..^"#branch".Length];
            if (source.StartsWith("vphb", StringComparison.Ordinal)) return $"phase line of layer {source[4..]} (the current of its source {source}: every cell of the layer switches on it)";
            if (source is "vdd" or "vss") return $"supply {source} (every cell)";
            if (source.StartsWith("vpre", StringComparison.Ordinal)) return $"precharge of design node n{source[4..]}";
            return $"source {source}";
        }
        if (head.StartsWith("xos", StringComparison.Ordinal) && head[3..].Split('_') is [var i, var j])
            return $"output stage of n{i} -> n{j} (node pair {i}, {j}), net {net}";
        if (head.StartsWith("xdrv", StringComparison.Ordinal))
            return $"input driver of node {head[4..]}, net {net}";
        if (DeviceNet.Match(head) is { Success: true } d)
            return head.StartsWith("d1_", StringComparison.Ordinal) || head.StartsWith("d2_", StringComparison.Ordinal)
                ? $"output stage input of node pair {d.Groups[1].Value}, {d.Groups[2].Value}, net {net}"
                : $"device {d.Groups[2].Value} of layer {d.Groups[1].Value} (its v2 cell), net {net}";
        if (head.Length > 1 && head[0] == 'n' && head[1..].All(char.IsAsciiDigit)) return $"design node {head}";
        return $"net {net}";
    }

    private static string RegParams(UnitCell u, double k)
    {
        var r = u.Reg;
        return string.Join(" ", new (string, double)[]
        {
            ("k", k), ("wint", RegulatedFamily.Wint), ("wn", r.Wn), ("wp", r.Wp), ("lm", r.Lm), ("wcn", r.Wcn), ("wcp", r.Wcp), ("lc", r.Lc), ("wa", r.Wa), ("la", r.La),
            ("wbn", r.Wbn), ("wbp", r.Wbp), ("lb", r.Lb), ("wr", r.Wr), ("lr", r.Lr),
        }.Select(p => $"{p.Item1}={Numbers.Format(p.Item2)}"));
    }

    private static string DriverParams(UnitCell u, double k)
    {
        var d = u.Driver!;
        return RegParams(u, k) + " " + string.Join(" ", new (string, double)[]
        {
            ("wi", d.Wi), ("li", d.Li), ("wt", d.Wt), ("lt", u.Reg.Lb), ("wf", d.Wf), ("lf", d.Lf), ("wo", d.Wo), ("lo", d.Lo),
            ("we", RegulatedFamily.DriverEndWeight), ("s", d.FoldSource),
        }.Select(p => $"{p.Item1}={Numbers.Format(p.Item2)}"));
    }

    /// <summary>
    /// One bias generator (independent currents into MOS diodes): every bias voltage a block needs is made by a replica
    /// of the transistor that uses it, so the operating point follows the card rather than a hand-set number.
    /// </summary>
    /// <param name="small">The block's current (A): the unit's Small, or a multiple of it for the output stages.</param>
    private static Dictionary<string, object> BiasBlock(UnitCell u, string pre, double small)
    {
        var r = u.Reg;
        string F(double x) => Numbers.Format(x);
        var m = new Dictionary<string, object>
        {
            ["pre"] = pre, ["small"] = F(small), ["vq"] = F(u.Vq), ["vk"] = F(u.Vk),
            ["wbn"] = F(r.Wbn), ["wbp"] = F(r.Wbp), ["lb"] = F(r.Lb), ["wa"] = F(r.Wa), ["wa2"] = F(2 * r.Wa), ["la"] = F(r.La),
            ["driver"] = u.Driver is not null,
        };
        if (u.Driver is { } d)
        {
            m["wo"] = F(d.Wo); m["lo"] = F(d.Lo); m["wbp5"] = F(0.2 * r.Wbp);
        }
        return m;
    }
}
