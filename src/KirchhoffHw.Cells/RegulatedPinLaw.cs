using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;
using KirchhoffHw.Model.IO;
using KirchhoffHw.Simulate;
using KirchhoffHw.Simulate.Ngspice;

namespace KirchhoffHw.Cells;

/// <summary>
/// What the v2 bench measured (<see cref="RegulatedCharacterizer"/>), against the driven node voltage
/// <see cref="Volts"/> (V, uniform): the lines of one driver (unit nMOS copies of np, nm), node 0's lines as its
/// cancellation and constant copies see them (unit pMOS copies of pp_0, pm_0 and a unit nMOS copy of np_0, A), and per
/// family the pin currents of one device at unit scale with both pins held at each of <see cref="OutputVolts"/>
/// (per unit bias: `to` the current into the destination, `from` the current out of the source).
/// </summary>
public sealed record RegulatedCharacterization(string Tech, string Corner, double[] Volts, double[] LinePlus, double[] LineMinus,
    double ReferencePlus, double ReferenceMinus, double ReferenceNmos, double[] OutputVolts,
    double[][] TanhTo, double[][] TanhFrom, double[][] ReluTo, double[][] ReluFrom, double Seconds, bool FromCache);

/// <summary>
/// The v2 cells' DC bench: the deck <see cref="RegulatedNetlist"/> writes for a bench design (per family one device
/// per held pin voltage, each on its own node pair, unit bias), with every device's source driver fed from one swept
/// input (a quasi-static ramp over 1 s, as the per-device characterization) and every design node held by a source
/// that measures what the pins put into it, plus unit probe copies of the lines. Cached like the per-device cells by
/// technology fingerprint and a hash of the bench decks themselves (templates, unit sizing and the deck's mapping
/// constants all reach the deck text), so a redesigned driver or output stage is measured again.
/// </summary>
public sealed class RegulatedCharacterizer(Technology tech, string? cacheDir = null, Func<ISpiceSimulator>? simulators = null)
{
    /// <summary>
    /// Bench input slope (per volt of drive) of each family: the swept ±<see cref="SweepVolts"/> span |u| up to 13 for the
    /// tanh (deep into saturation, where the core's output still creeps towards the full tail current the mapping
    /// divides by: about 1 % above its value at |u| = 5) and up to 5 for the rectifier (linear beyond, as the table continues).
    /// </summary>
    public static double BenchSlope(DeviceFamily family) => family == DeviceFamily.Tanh ? 30 : 12;
    public const int Points = 401;
    public const int Method = 2;

    public double SweepVolts { get; } = Characterizer.OutputVoltsFor(tech).Max();
    public double[] OutputVolts { get; } = Characterizer.OutputVoltsFor(tech);
    public string CacheDir { get; } = cacheDir ?? Characterizer.DefaultCacheDir();
    private readonly Func<ISpiceSimulator> _simulators = simulators ?? (() => new NgspiceBatch());

    /// <summary>The bench design of one family: device j from node 2j+1 to node 2j+2 with <see cref="BenchSlope"/> on its source, unit bias.</summary>
    public Design BenchDesign(DeviceFamily family)
    {
        var fig = RegulatedFamily.Characterized;
        // one model unit of current is the unit core bias for a tanh (the core delivers A of it) and the rectifier's bias
        double current = family == DeviceFamily.Tanh ? RegulatedFamily.Deck.Bias * fig.Amplitude : RegulatedFamily.Deck.Bias;
        int m = OutputVolts.Length;
        var edges = Enumerable.Range(0, m).Select(j => (2 * j + 1, 2 * j + 2)).ToArray();
        DeviceModel model = family == DeviceFamily.Tanh ? new ShiftTanh2() : new ShiftRelu2();
        double[] theta = [.. edges.Select(_ => BenchSlope(family)), .. edges.Select(_ => 0.0), .. edges.Select(_ => 0.0)];
        // a time unit of 1 s and a capacitance of the current's size: no boost, and the phase stays on over the ramp
        return new Design("v2bench", 2 * m, [new Layer(0, 2, model, EdgeList.FromPairs(edges), theta)], new InputMap(2 * m), Readout.AllNodes,
            new Units(current, 1.0, 1.0), TaskKind.Regression);
    }

    public string BenchDeck(DeviceFamily family)
    {
        var design = BenchDesign(family);
        var bank = new StringWriter { NewLine = "\n" };
        new RegulatedNetlist(tech).Write(design, new double[design.NodeCount], bank);
        string F(double x) => Numbers.Format(x);
        var input = RegulatedFamily.Units.First(u => u.Name == RegulatedFamily.Deck.InputUnit).Input!;
        var deck = new StringBuilder();
        deck.Append(CultureInfo.InvariantCulture, $"* KirchhoffHw v2 cell bench ({family}): {Names.CommentText(tech.Name)}\n");
        foreach (var raw in bank.ToString().Split('\n'))
        {
            var line = raw;
            // every device's source driver follows the swept input; its node stays held like the others
            if (line.StartsWith("Xdrv", StringComparison.Ordinal) && line.Split(' ') is [var name, var net, ..] && net != "0"
                && int.Parse(net[1..], CultureInfo.InvariantCulture) % 2 == 1)
                line = $"{name} vin{line[(name.Length + 1 + net.Length)..]}";
            deck.Append(line).Append('\n');
        }
        deck.Append(CultureInfo.InvariantCulture, $"Vin vin 0 PWL(0 {F(-SweepVolts)} 1 {F(SweepVolts)})\n");
        for (int j = 0; j < OutputVolts.Length; j++)
        {
            deck.Append(CultureInfo.InvariantCulture, $"Vh{2 * j + 1} {Names.Node(2 * j + 1)} 0 {F(OutputVolts[j])}\n");
            deck.Append(CultureInfo.InvariantCulture, $"Vh{2 * j + 2} {Names.Node(2 * j + 2)} 0 {F(OutputVolts[j])}\n");
        }
        // unit copies of the lines, drains at 0 V like every cell's summing nodes
        string wn = F(input.CopyWidth), wp = F(RegulatedFamily.RatioWidth(1, 2 * input.CopyWidth)), l = F(input.CopyLength);
        deck.Append(CultureInfo.InvariantCulture, $"Vqp qp 0 0\nMqp qp np_1 vss vss {tech.Models.Nmos} w={wn} l={l}\n");
        deck.Append(CultureInfo.InvariantCulture, $"Vqm qm 0 0\nMqm qm nm_1 vss vss {tech.Models.Nmos} w={wn} l={l}\n");
        deck.Append(CultureInfo.InvariantCulture, $"Vqn qn 0 0\nMqn qn np_0 vss vss {tech.Models.Nmos} w={wn} l={l}\n");
        deck.Append(CultureInfo.InvariantCulture, $"Vrp rp 0 0\nMrp rp pp_0 vdd vdd {tech.Models.Pmos} w={wp} l={l}\n");
        deck.Append(CultureInfo.InvariantCulture, $"Vrm rm 0 0\nMrm rm pm_0 vdd vdd {tech.Models.Pmos} w={wp} l={l}\n");
        deck.Append(".options reltol=1e-5 abstol=1e-14 method=gear\n");
        deck.Append(".tran 1.25e-3 1 0 1.25e-3\n.end\n");
        return deck.ToString();
    }

    public string CachePath()
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var f in new[] { DeviceFamily.Tanh, DeviceFamily.Relu }) sha.AppendData(Encoding.UTF8.GetBytes(BenchDeck(f)));
        sha.AppendData(Encoding.UTF8.GetBytes(string.Join("|", Method, Points)));
        string key = Convert.ToHexString(sha.GetHashAndReset())[..12].ToLowerInvariant();
        return Path.Combine(CacheDir, "cells", $"v2pins-{Names.Identifier(tech.Name)}-{Names.Identifier(tech.Corner)}-{tech.Fingerprint()}-{key}.json");
    }

    public RegulatedCharacterization Get(bool useCache = true)
    {
        var path = CachePath();
        if (useCache && File.Exists(path))
        {
            try
            {
                var cached = JsonSerializer.Deserialize<RegulatedCharacterization>(File.ReadAllText(path)) ?? throw new JsonException("empty");
                if (cached.Volts.Length == Points && cached.TanhTo.Length == OutputVolts.Length) return cached with { FromCache = true, Seconds = 0 };
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException) { } // redone
        }
        var c = Run();
        AtomicFile.WriteText(path, w => w.Write(JsonSerializer.Serialize(c)));
        return c;
    }

    private RegulatedCharacterization Run()
    {
        var clock = Stopwatch.StartNew();
        var volts = Enumerable.Range(0, Points).Select(i => -SweepVolts + 2 * SweepVolts * i / (Points - 1)).ToArray();
        double[] lp = [], lm = [];
        double rp = 0, rm = 0, rn = 0;
        var pins = new Dictionary<DeviceFamily, (double[][] To, double[][] From)>();
        foreach (var family in new[] { DeviceFamily.Tanh, DeviceFamily.Relu })
        {
            int m = OutputVolts.Length;
            var vectors = new List<string> { "i(vqp)", "i(vqm)", "i(vqn)", "i(vrp)", "i(vrm)" };
            for (int k = 1; k <= 2 * m; k++) vectors.Add($"i(vh{k})");
            using var sim = _simulators();
            var result = sim.Run(new SimulationRequest(BenchDeck(family), vectors, TimeSpan.FromMinutes(10)));
            if (!result.IsOk)
                throw new KirchhoffHwException(tech.File, $"characterizing the v2 cells ({family}) failed in ngspice: {result.Status}: {result.Message}");
            // time runs 0..1 s while the input ramps -Sweep..+Sweep
            var v = result.Time.Select(t => -SweepVolts + 2 * SweepVolts * t).ToArray();
            double[] At(string name, double sign) => volts.Select(x => sign * PartFit.Interpolate(v, result.Vectors[name], x)).ToArray();
            double Mean(string name) => result.Vectors[name].Average();
            if (family == DeviceFamily.Tanh)
            {
                // an nMOS copy's current leaves its held drain (negative in the source), a pMOS copy's enters it
                lp = At("i(vqp)", -1); lm = At("i(vqm)", -1);
                rn = -Mean("i(vqn)"); rp = Mean("i(vrp)"); rm = Mean("i(vrm)");
            }
            var dev = new RegulatedNetlist(tech).Map(BenchDesign(family))[0];
            double unit = family == DeviceFamily.Tanh ? dev.Scale * RegulatedFamily.Deck.Bias : dev.Bias;
            // the source at a held node carries what the pins put into it: `to` (even nodes) in, `from` (odd) out
            var to = Enumerable.Range(0, m).Select(j => At($"i(vh{2 * j + 2})", 1 / unit)).ToArray();
            var from = Enumerable.Range(0, m).Select(j => At($"i(vh{2 * j + 1})", -1 / unit)).ToArray();
            pins[family] = (to, from);
        }
        return new RegulatedCharacterization(tech.Name, tech.Corner, volts, lp, lm, rp, rm, rn, OutputVolts,
            pins[DeviceFamily.Tanh].To, pins[DeviceFamily.Tanh].From, pins[DeviceFamily.Relu].To, pins[DeviceFamily.Relu].From,
            clock.Elapsed.TotalSeconds, false);
    }
}

/// <summary>
/// The v2 cells' pin law, from their DC bench (<see cref="RegulatedCharacterization"/>): a device of the v2 deck puts
///   into its destination   amp * to(y, v(dst)),   out of its source   amp * from(y, v(src)),   y = a L(vs) + b L(vd) + c
/// (pins exchanged for a negative amplitude, as the deck swaps the output stage's inputs). L is the drivers' measured
/// line curve normalized to volts (its difference of lines against node 0's, over its slope at 0 V), so the drivers'
/// nonlinearity is in the law; a, b, c are what the deck draws (<see cref="RegulatedNetlist.Map"/>: the ratios over
/// kappa and the input stage's compression, c from the standing copies as clamped, read against the measured lines);
/// to and from are the pin currents per unit bias of the bench device (input stage, core or rectifier and the trimmed
/// output stage, each pin at its own voltage), against the same y. The amplitude is the bias the deck builds (clamped
/// to the unit) over the current scale and the deck's boost, which scales every current and capacitance alike.
/// </summary>
public sealed class RegulatedPinLaw
{
    public RegulatedCharacterization Data { get; }
    /// <summary>L_V: node voltage to its drive (V), slope 1 at 0 V.</summary>
    public InputCurve Drive { get; }
    public PinFit Tanh { get; }
    public PinFit Relu { get; }
    /// <summary>d(I_P - I_M)/dv of a driver's lines at 0 V (A/V).</summary>
    public double Slope { get; }
    private readonly double _difference0;

    public RegulatedPinLaw(RegulatedCharacterization data, Technology tech)
    {
        Data = data;
        var v = data.Volts;
        var d = v.Select((_, i) => data.LinePlus[i] - data.LineMinus[i]).ToArray();
        double h = 0.05;
        Slope = (PartFit.Interpolate(v, d, h) - PartFit.Interpolate(v, d, -h)) / (2 * h);
        _difference0 = data.ReferencePlus - data.ReferenceMinus;
        Drive = new InputCurve(v, d.Select(x => (x - _difference0) / Slope).ToArray());
        var bench = new RegulatedCharacterizer(tech);
        Tanh = Pins(data.TanhTo, data.TanhFrom, DeviceFamily.Tanh, bench, tech, false);
        Relu = Pins(data.ReluTo, data.ReluFrom, DeviceFamily.Relu, bench, tech, true);
    }

    public static RegulatedPinLaw Of(Technology tech, string? cacheDir = null) => new(new RegulatedCharacterizer(tech, cacheDir).Get(), tech);

    /// <summary>The bench rows resampled on a uniform grid of y (the bench device's own y at each swept voltage).</summary>
    private PinFit Pins(double[][] to, double[][] from, DeviceFamily family, RegulatedCharacterizer bench, Technology tech, bool linear)
    {
        var design = bench.BenchDesign(family);
        var dev = new RegulatedNetlist(tech).Map(design)[0];
        var y = Data.Volts.Select(x => Input(dev, family, x, 0)).ToArray();
        // fine enough that the ngspice form, linear between the grid points, follows the cubic to 1e-3 of the bias over the tanh's wide y span
        const int n = 321;
        var grid = Enumerable.Range(0, n).Select(i => y[0] + (y[^1] - y[0]) * i / (n - 1)).ToArray();
        double[][] Rows(double[][] rows) => rows.Select(r => grid.Select(g => PartFit.Interpolate(y, r, g)).ToArray()).ToArray();
        var f = new PinCurve(grid, Data.OutputVolts, Rows(from), tech.Vss, tech.Vdd, linear);
        var t = new PinCurve(grid, Data.OutputVolts, Rows(to), tech.Vss, tech.Vdd, linear);
        double err = 0;
        for (int k = 0; k < Data.OutputVolts.Length; k++)
            for (int i = 0; i < y.Length; i++)
            {
                err = Math.Max(err, Math.Abs(f.Evaluate(y[i], Data.OutputVolts[k]) - from[k][i]));
                err = Math.Max(err, Math.Abs(t.Evaluate(y[i], Data.OutputVolts[k]) - to[k][i]));
            }
        return new PinFit(null, f, t, err);
    }

    /// <summary>The affine input's coefficients as the deck draws device <paramref name="dev"/>: (a, b per volt of drive, c).</summary>
    public (double A, double B, double C) Coefficients(RegulatedDevice dev, DeviceFamily family)
    {
        var fig = RegulatedFamily.Characterized;
        double compression = 1 + fig.Compression * (Math.Abs(dev.SourceRatio) + Math.Abs(dev.DestinationRatio));
        double per = fig.Kappa * compression;
        double c;
        if (family == DeviceFamily.Tanh)
        {
            var input = RegulatedFamily.Units.First(u => u.Name == RegulatedFamily.Deck.InputUnit).Input!;
            double beta = input.StandingCurrent / fig.LineCurrent, half = dev.ConstantRatio / 2;
            // side b's standing copies less side a's (each clamped at zero as drawn), against node 0's offset the signal copies cancel
            double standing = Math.Max(beta + half, 0) * Data.ReferenceMinus - Math.Max(beta - half, 0) * Data.ReferencePlus;
            c = standing / (Slope * per);
        }
        else
        {
            // one side's net current: a positive constant ratio sinks node 0's P line through nMOS copies, a negative one sources its pMOS copy
            double net = dev.ConstantRatio > 0 ? dev.ConstantRatio * Data.ReferenceNmos : dev.ConstantRatio * Data.ReferencePlus;
            c = net / (0.5 * Slope * per);
        }
        return (dev.SourceRatio / per, dev.DestinationRatio / per, c);
    }

    /// <summary>
    /// Per layer, laid out like its theta (4 rows of its edges): how the v2 deck turns each device's ideal affine form
    /// (A, B, C) into what its cell sees, a = ka A, b = kb B, c = kc C + c0 (<see cref="PinStudentModel"/>'s input map).
    /// </summary>
    public IReadOnlyList<double[]> InputMaps(Design ideal)
    {
        var devices = RegulatedNetlist.MapDevices(ideal);
        double vscale = ideal.Units.VoltageScale;
        return ideal.Layers.Select((layer, li) =>
        {
            int n = layer.Edges.Count;
            var map = new double[4 * n];
            for (int e = 0; e < n; e++) { map[e] = 1; map[n + e] = 1; map[2 * n + e] = 1; }
            foreach (var dev in devices.Where(d => d.Layer == li))
            {
                int e = dev.Edge;
                var f = layer.Model.Affine(layer.ParametersOf(e));
                var (a, b, c) = Coefficients(dev, layer.Model.Family);
                double c0 = Coefficients(dev with { ConstantRatio = 0 }, layer.Model.Family).C;
                bool s = layer.Edges.Source[e] != 0, d = layer.Edges.Destination[e] != 0;
                map[e] = !s ? 0 : f.A != 0 ? a * vscale / f.A : 1;
                map[n + e] = !d ? 0 : f.B != 0 ? b * vscale / f.B : 1;
                map[2 * n + e] = f.C != 0 ? (c - c0) / f.C : 1;
                map[3 * n + e] = c0;
            }
            return map;
        }).ToList();
    }

    /// <summary>y of device <paramref name="dev"/> at node voltages (V).</summary>
    public double Input(RegulatedDevice dev, DeviceFamily family, double vs, double vd)
    {
        var (a, b, c) = Coefficients(dev, family);
        return a * Drive.Evaluate(vs) + b * Drive.Evaluate(vd) + c;
    }

    /// <summary>The parts of a layer's law: tanh one, ReLU one, leaky ReLU the rectifier and its mirror image.</summary>
    public PinFit[] PartsOf(DeviceFamily family) => family switch
    {
        DeviceFamily.Tanh => [Tanh],
        DeviceFamily.Relu => [Relu],
        DeviceFamily.LeakyRelu => [Relu, Relu],
        _ => throw new NotSupportedException($"the v2 cells do not build a {family} law"),
    };

    /// <summary>
    /// <paramref name="ideal"/> (a design the v2 deck builds) with every layer's devices as their v2 pin law
    /// (<see cref="PinMacroModel"/> with the drivers' curve): per device the deck's a, b, c (model units), and per part
    /// gain (1, or -1 for the leaky mirror), amplitude and orientation.
    /// </summary>
    public Design Lower(Design ideal, string techName)
    {
        if (!RegulatedNetlist.Builds(ideal)) throw new NotSupportedException("the v2 cells build tanh, ReLU and leaky ReLU layers of an affine input only");
        var units = ideal.Units;
        double boost = RegulatedNetlist.CapacitanceBoost(ideal), vscale = units.VoltageScale, iscale = units.CurrentScale * boost;
        var devices = RegulatedNetlist.MapDevices(ideal);
        double lag = RegulatedFamily.LagIn(ideal).Lag;
        var layers = ideal.Layers.Select((layer, li) =>
        {
            var family = layer.Model.Family;
            var model = new PinMacroModel(layer.Model, PartsOf(family), techName, vscale, Drive, "v2pins") { Lag = lag };
            int n = layer.Edges.Count, np = model.ParameterCount;
            var theta = new double[np * n];
            var built = devices.Where(d => d.Layer == li).ToDictionary(d => d.Edge);
            for (int e = 0; e < n; e++)
            {
                if (!built.TryGetValue(e, out var dev)) continue; // a device with no cell puts nothing anywhere
                var f = layer.Model.Affine(layer.ParametersOf(e));
                var (a, b, c) = Coefficients(dev, family);
                double amp = Math.Sign(f.Amplitude) * (family == DeviceFamily.Tanh ? dev.Scale * RegulatedFamily.Deck.Bias : dev.Bias) / iscale;
                double rev = f.Amplitude < 0 ? 1 : 0;
                var q = new double[np];
                // a and b per model unit of drive (the curve is read in volts); node 0 has no copies
                q[PinMacroModel.A] = layer.Edges.Source[e] != 0 ? a * vscale : 0;
                q[PinMacroModel.B] = layer.Edges.Destination[e] != 0 ? b * vscale : 0;
                q[PinMacroModel.C] = c;
                q[PinMacroModel.Gain(0)] = 1; q[PinMacroModel.Amplitude(0)] = amp; q[PinMacroModel.Reversed(0)] = rev;
                if (family == DeviceFamily.LeakyRelu)
                {
                    // the mirror side: the rectifier of -y at the leak's fraction, into the other input of the output stage
                    q[PinMacroModel.Gain(1)] = -1; q[PinMacroModel.Amplitude(1)] = -Activations.LeakySlope * amp; q[PinMacroModel.Reversed(1)] = 1 - rev;
                }
                for (int i = 0; i < np; i++) theta[i * n + e] = q[i];
            }
            return new Layer(layer.TStart, layer.TEnd, model, layer.Edges, theta);
        }).ToList();
        return ideal.With(layers: layers);
    }
}
