using System.CommandLine;
using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Import;
using KirchhoffHw.Import.Cases;
using KirchhoffHw.Model;

namespace KirchhoffHw.Cli.Commands;

/// <summary>Options several verbs share, declared once so they read and behave the same everywhere.</summary>
internal static class Common
{
    public static Argument<string> Model() => new("model")
    {
        Description = "A checkpoint (model.pth, with config.yaml beside it or --config) or a KirchhoffHw design (*.yaml).",
    };

    public static Option<string?> Config() => new("--config")
    {
        Description = "The checkpoint's config.yaml (default: config.yaml beside model.pth).",
    };

    public static Option<string?> Inputs() => new("--inputs", "-i")
    {
        Description = "Input vectors: CSV rows, a JSON array of arrays, or a vectors.json-shaped file (cases[*].input).",
    };

    public static Option<int?> Random() => new("--random")
    {
        Description = "Use N random inputs instead of --inputs: uniform in [0,1] for classifiers, standard normal otherwise.",
    };

    public static Option<int> Seed() => new("--seed")
    {
        Description = "Seed for --random (recorded in the output so a run can be repeated).",
        DefaultValueFactory = _ => 0,
    };

    /// <summary>
    /// `-o/--output` of every verb. A folder for the verbs that write several files (`flow`, `report`), which also
    /// accept `--out`, the name they had before, for one more release.
    /// </summary>
    public static Option<T> Output<T>(string description, bool required, bool folder = false)
    {
        var option = new Option<T>("--output", "-o") { Description = description, Required = required };
        if (folder)
        {
            option.Aliases.Add("--out");
            option.Description += " (--out: deprecated alias, accepted for one more release)";
        }
        return option;
    }

    public static Option<string?> Engineering(string name, string description) => new(name) { Description = description };

    public static ImportedModel Load(ParseResult r, Argument<string> model, Option<string?> config) =>
        ModelLoader.Load(r.GetValue(model)!, r.GetValue(config));

    public static (double[][] Inputs, string Origin) ReadInputs(ParseResult r, Design design, Option<string?> inputs, Option<int?> random, Option<int> seed, bool required = true)
    {
        var path = r.GetValue(inputs);
        var count = r.GetValue(random);
        if (path is not null && count is not null) throw new KirchhoffHwException("<options>", "give either --inputs or --random, not both");
        if (count is { } n)
        {
            if (n <= 0) throw new KirchhoffHwException("<options>", $"--random needs a positive count, got {n}");
            var kind = design.Task == TaskKind.Classification ? RandomInputKind.Uniform01 : RandomInputKind.StandardNormal;
            int s = r.GetValue(seed);
            return (InputReader.Random(n, design.Input.Width, s, kind), $"random: {n} x {kind} inputs, seed {s}");
        }
        if (path is null)
        {
            if (!required) return ([], "none");
            throw new KirchhoffHwException("<options>", "no inputs: give --inputs FILE or --random N [--seed S]");
        }
        var vectors = InputReader.Read(path);
        for (int i = 0; i < vectors.Length; i++)
            if (vectors[i].Length > design.NodeCount)
                throw new KirchhoffHwException(path, $"input {i} has {vectors[i].Length} values but {design.Name} has {design.NodeCount} nodes");
        return (vectors, path);
    }

    public static Dictionary<string, string> SimulatorOptions(ParseResult r, Option<string[]> option)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in r.GetValue(option) ?? [])
        {
            int eq = item.IndexOf('=');
            if (eq <= 0) throw new KirchhoffHwException("<options>", $"--spice-option '{Names.CommentText(item)}' must look like key=value, e.g. reltol=1e-5");
            var key = Generate.Dialects.Ngspice.SimulatorOption.Key(item[..eq]);
            result[key] = Generate.Dialects.Ngspice.SimulatorOption.Value(key, item[(eq + 1)..]);
        }
        return result;
    }

    /// <summary>The command as typed, for a report's reproducibility section.</summary>
    public static string CommandLine(ParseResult r) => "kirchhoffhw " + string.Join(" ", r.Tokens.Select(t => t.Value.Contains(' ') ? $"\"{t.Value}\"" : t.Value));

    /// <summary>A technology file named on the command line, which must exist; null when none was named.</summary>
    public static string? ExistingFile(ParseResult r, Option<string?> option)
    {
        var path = r.GetValue(option);
        if (path is not null && !File.Exists(path)) throw new KirchhoffHwException(path, "technology file not found");
        return path;
    }
}

/// <summary>
/// An option whose text is one of a fixed set of names, parsed once into its typed value: the verb sees the value,
/// never the text, and every verb reports a bad name the same way.
/// </summary>
internal sealed class Choice<T>
{
    private readonly (string Name, T Value)[] _choices;

    public Option<string> Option { get; }

    public Choice(string name, string description, string defaultName, params (string Name, T Value)[] choices)
    {
        _choices = choices;
        Option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => defaultName };
    }

    public IEnumerable<string> Names => _choices.Select(c => c.Name);

    public T Get(ParseResult r) => Parse(r.GetValue(Option)!);

    public T Parse(string text)
    {
        foreach (var (name, value) in _choices)
            if (string.Equals(name, text.Trim(), StringComparison.OrdinalIgnoreCase)) return value;
        throw new KirchhoffHwException("<options>", $"{Option.Name} '{Generate.Formatting.Names.CommentText(text)}' is not one of {string.Join(", ", Names)}");
    }
}

/// <summary>The model argument and the input options of every verb that runs inputs through a design.</summary>
internal sealed class ModelInputs
{
    public Argument<string> Model { get; } = Common.Model();
    public Option<string?> Config { get; } = Common.Config();
    public Option<string?> Inputs { get; } = Common.Inputs();
    public Option<int?> Random { get; } = Common.Random();
    public Option<int> Seed { get; } = Common.Seed();

    public void AddTo(Command command, bool withInputs = true)
    {
        command.Arguments.Add(Model);
        command.Options.Add(Config);
        if (!withInputs) return;
        command.Options.Add(Inputs);
        command.Options.Add(Random);
        command.Options.Add(Seed);
    }

    public ImportedModel Load(ParseResult r) => Common.Load(r, Model, Config);

    public (double[][] Inputs, string Origin) Read(ParseResult r, Design design, bool required = true) =>
        Common.ReadInputs(r, design, Inputs, Random, Seed, required);

    /// <summary>The seed, when random inputs were drawn (it goes into the report).</summary>
    public int? SeedUsed(ParseResult r) => r.GetValue(Random) is not null || r.GetValue(Inputs) is null ? r.GetValue(Seed) : null;
}

/// <summary>--capacitance, --time-unit, --voltage-scale (a value or `auto`), --voltage-margin: the physical units of the circuit.</summary>
internal sealed class UnitOptions
{
    private readonly Option<string?> _c = Common.Engineering("--capacitance", "Node capacitance in farads, SPICE notation (1p = 1e-12). Default: the design's (1 F for checkpoints).");
    private readonly Option<string?> _t = Common.Engineering("--time-unit", "Seconds per model time unit (1n = 1e-9). Default: the design's (1 s).");
    private readonly Option<string?> _v = Common.Engineering("--voltage-scale",
        "Volts per model voltage unit, or auto: from the largest |state| the reference reaches on the inputs, so every node stays --voltage-margin " +
        "inside the technology's rails (--tech, or the default technology's). Default: the design's (1 V).");
    private readonly Option<string?> _margin = Common.Engineering("--voltage-margin",
        "With --voltage-scale auto: the fraction of the rails' swing left unused, e.g. 0.1 or 10% (default 10%).");

    public void AddTo(Command command)
    {
        foreach (var o in new[] { _c, _t, _v, _margin }) command.Options.Add(o);
    }

    /// <summary>
    /// The design with the units asked for on the command line over its own (SPICE notation: 1p, 1n, 1meg), checked. With
    /// `--voltage-scale auto` the design keeps its own voltage scale here; the stage that solves the reference chooses it (<see cref="AutoMargin"/>).
    /// </summary>
    public Design Apply(ParseResult r, Design design)
    {
        var b = design.Units;
        double volts = AutoMargin(r) is null ? Get(r, _v, b.VoltageScale) : b.VoltageScale;
        var d = design.With(units: new Units(Get(r, _c, b.Capacitance), Get(r, _t, b.TimeUnit), volts));
        foreach (var problem in d.Units.Problems()) throw new KirchhoffHwException("<options>", problem);
        return d;
    }

    /// <summary>The margin of `--voltage-scale auto`; null when the voltage scale is given (a --voltage-margin without auto is refused).</summary>
    public double? AutoMargin(ParseResult r)
    {
        bool auto = string.Equals(r.GetValue(_v)?.Trim(), "auto", StringComparison.OrdinalIgnoreCase);
        var text = r.GetValue(_margin);
        if (text is not null && !auto) throw new KirchhoffHwException("<options>", "--voltage-margin applies to --voltage-scale auto only");
        if (!auto) return null;
        if (text is null) return Flow.VoltageScaleStage.DefaultMargin;
        var t = text.Trim();
        bool percent = t.EndsWith('%');
        double? value = double.TryParse(percent ? t[..^1] : t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : null;
        if (percent) value /= 100;
        if (value is not (>= 0 and < 1))
            throw new KirchhoffHwException("<options>", $"--voltage-margin: '{Names.CommentText(text)}' is not a fraction in [0, 1) (examples: 0.1, 10%)");
        return value;
    }

    private double Get(ParseResult r, Option<string?> o, double fallback)
    {
        var text = r.GetValue(o);
        if (text is null) return fallback;
        var value = Numbers.ParseEngineering(text);
        if (value is not > 0) throw new KirchhoffHwException("<options>", $"{o.Name}: '{Names.CommentText(text)}' is not a positive value (examples: 1p, 1e-12, 1n{(o == _v ? ", auto" : "")})");
        return value.Value;
    }
}

/// <summary>
/// The bounds a verification holds a circuit to: --tolerance for the outputs, --state-atol and --state-rtol for every state
/// along the way (SPICE's rule: atol + rtol x the case's largest |state|). Shared by verify and flow.
/// </summary>
internal sealed class ToleranceOptions
{
    public Option<double?> Tolerance { get; } = new("--tolerance") { Description = "Largest |circuit - reference| of an output, model units (default 5e-3 for classifiers, 1e-3 otherwise)." };
    public Option<double?> StateAtol { get; } = new("--state-atol") { Description = "Absolute part of every state's bound (layer boundaries, interior samples), model units (default: the output tolerance)." };
    public Option<double> StateRtol { get; } = new("--state-rtol")
    {
        Description = "Relative part of every state's bound: states are held to state-atol + state-rtol x the case's largest |reference state| (default 1e-3).",
        DefaultValueFactory = _ => 1e-3,
    };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Tolerance, StateAtol, StateRtol }) command.Options.Add(o);
    }

    public Verify.VerifyOptions Apply(ParseResult r, Verify.VerifyOptions options)
    {
        var tol = r.GetValue(Tolerance);
        var atol = r.GetValue(StateAtol);
        var rtol = r.GetValue(StateRtol);
        if (tol is { } t && !(t > 0 && double.IsFinite(t))) throw new KirchhoffHwException("<options>", $"--tolerance must be a positive number, got {t}");
        if (atol is { } a && !(a >= 0 && double.IsFinite(a))) throw new KirchhoffHwException("<options>", $"--state-atol must be a non-negative number, got {a}");
        if (!(rtol >= 0 && double.IsFinite(rtol))) throw new KirchhoffHwException("<options>", $"--state-rtol must be a non-negative number, got {rtol}");
        if (atol == 0 && rtol == 0) throw new KirchhoffHwException("<options>", "--state-atol and --state-rtol cannot both be 0: no simulator meets a zero bound");
        return options with { Tolerance = tol, StateAtol = atol, StateRtol = rtol };
    }
}

/// <summary>The options of a deck: style, simulator options, step cap. Only verbs that write a deck take them.</summary>
internal sealed class DeckOptions
{
    public Choice<Generate.DeckStyle> Style { get; } = new("--style",
        "Deck style: devices (one subcircuit instance per device), merged (one source per node pair), auto (merged for big designs).", "auto",
        ("auto", Generate.DeckStyle.Auto), ("devices", Generate.DeckStyle.Devices), ("merged", Generate.DeckStyle.Merged));

    public Option<string[]> SpiceOption { get; } = new("--spice-option")
    {
        Description = "Override an ngspice .options entry, key=value (repeatable), e.g. --spice-option reltol=1e-5.",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<double?> MaxStep { get; } = new("--max-step")
    {
        Description = "Largest simulator step as a fraction of the shortest layer (default 0.05). Accuracy is set by ngspice's error control (reltol, trtol: see --spice-option); this cap is a backstop.",
    };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Style.Option, SpiceOption, MaxStep }) command.Options.Add(o);
    }

    public Generate.SpiceOptions Spice(ParseResult r)
    {
        var spice = Generate.SpiceOptions.Default with { Style = Style.Get(r), SimulatorOptions = Common.SimulatorOptions(r, SpiceOption) };
        if (r.GetValue(MaxStep) is { } m)
        {
            if (!(m > 0 && m <= 1)) throw new KirchhoffHwException("<options>", $"--max-step must be in (0, 1], got {m}");
            spice = spice with { MaxStepFraction = m };
        }
        return spice;
    }
}

/// <summary>
/// --fidelity and --tech: which lowering pass the circuit goes through before a deck is written. Shared by
/// generate and verify so the choice reads and behaves the same everywhere (flow takes a list of fidelities).
/// </summary>
internal sealed class FidelityOptions
{
    public static Choice<Model.Fidelity> Choice(string description) => new("--fidelity", description, "ideal",
        ("ideal", Model.Fidelity.Ideal), ("macro", Model.Fidelity.Macro), ("transistor", Model.Fidelity.Transistor));

    public Choice<Model.Fidelity> Fidelity { get; } = Choice(
        "ideal (exact device laws, default), macro (each device as its characterized and fitted MOS cell: a table " +
        "per cell) or transistor (every device as its MOS cell, in --tech). Cells are characterized in ngspice once per " +
        "technology and cached (KIRCHHOFFHW_CACHE, default ~/.cache/kirchhoffhw).");

    public Option<string?> Tech { get; } = TechOption(
        "Technology YAML for macro and transistor fidelity: model library (.lib/.include and corner), rails, size " +
        "and bias limits. Default: the shipped PTM 45 nm (designs/tech/ptm45hp.yaml); copy it to point at your own PDK.");

    public static Option<string?> TechOption(string description) => new("--tech") { Description = description };

    public void AddTo(Command command)
    {
        command.Options.Add(Fidelity.Option);
        command.Options.Add(Tech);
    }

    /// <summary>One line per layer: realizability counts and fit errors.</summary>
    public static IEnumerable<string> Describe(Cells.PhysicalMapping mapping)
    {
        foreach (var l in mapping.Layers)
            yield return $"layer {l.Layer}: {l.Devices} {l.Model} cells, {l.NeedActive} need an active cell, {l.Unrealizable} not realizable as trained " +
                $"within the tech limits, {l.Omitted} omitted (zero); {l.Transistors} transistors, static {l.StaticCurrent:G3} A, area {l.Area * 1e12:G4} um^2; " +
                $"fit error max {l.MaxFitErrorModel:G3} ({l.MaxFitErrorAmps:G3} A), rms {l.RmsFitErrorModel:G3} model units over |v| <= {mapping.OperatingVolts:G3}";
    }
}
