using System.CommandLine;
using System.Runtime.CompilerServices;
using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Import;
using KirchhoffHw.Import.Cases;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;

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

    public static Option<int?> Random() => new Option<int?>("--random")
    {
        Description = "Use N random inputs instead of --inputs: uniform in [0,1] for classifiers, standard normal otherwise.",
    }.Check((name, v) => v is { } n ? OptionValues.AtLeast(name, n, 1) : null);

    public static Option<int> Seed() => new("--seed")
    {
        Description = "Seed for --random (recorded in the output so a run can be repeated).",
        DefaultValueFactory = _ => 0,
    };

    /// <summary>
    /// `-o/--output` of every verb. A folder for the verbs that write several files (`flow`, `report`), which also
    /// accept `--out`, the name they had before, for one more release; <paramref name="subfolders"/> are the
    /// folders such a verb writes inside it. Every output declared here is checked before the verb runs
    /// (<see cref="CheckOutputs"/>): a folder given as a file, a folder that takes no new files, a symbolic link as
    /// an output folder. <paramref name="isFolder"/> decides per run when another option says which it is.
    /// </summary>
    public static Option<T> Output<T>(string description, bool required, bool folder = false, string[]? subfolders = null, Func<ParseResult, bool>? isFolder = null)
    {
        var option = new Option<T>("--output", "-o") { Description = description, Required = required };
        if (folder)
        {
            option.Aliases.Add("--out");
            option.Description += " (--out: deprecated alias, accepted for one more release)";
        }
        OutputChecks.Add(option, r =>
        {
            if (r.GetValue(option) is not string path) return;
            if (isFolder?.Invoke(r) ?? folder) OutputPath.RequireWritableFolder(path, subfolders ?? []);
            else OutputPath.RequireWritableFile(path);
        });
        return option;
    }

    private static readonly ConditionalWeakTable<Option, Action<ParseResult>> OutputChecks = new();

    /// <summary>
    /// Throws unless every output of the parsed verb can be written: run before the verb, so an hour of work never
    /// ends in an output that cannot be written.
    /// </summary>
    public static void CheckOutputs(ParseResult r)
    {
        foreach (var option in r.CommandResult.Command.Options)
            if (OutputChecks.TryGetValue(option, out var check)) check(r);
    }

    /// <summary>
    /// Validates an option's value where it is parsed: a bad value (NaN, an infinity, a negative count, a name that
    /// is not one of the choices) is a usage error naming the option, exit code 2, before any work starts.
    /// <paramref name="check"/> gets the option's name and value and returns the problem, or null.
    /// </summary>
    public static Option<T> Check<T>(this Option<T> option, Func<string, T, string?> check)
    {
        option.Validators.Add(result =>
        {
            T? value;
            try { value = result.GetValueOrDefault<T>(); }
            catch (InvalidOperationException) { return; } // the value did not convert: that error is already reported
            if (value is not null && check(option.Name, value) is { } problem) result.AddError(problem);
        });
        return option;
    }

    /// <summary>
    /// A value whose parser refuses it with a <see cref="KirchhoffHwException"/>: the parser runs where the command
    /// line is parsed, so its refusal is a usage error before any work, and the verb parses the value again, knowing
    /// it holds.
    /// </summary>
    public static Option<T> ParsedBy<T>(this Option<T> option, Action<T> parse) => option.Check((_, value) =>
    {
        try { parse(value); return null; }
        catch (KirchhoffHwException e) { return string.Join("; ", e.Diagnostics.Select(d => d.Message)); }
    });

    /// <summary>A positive finite number (a tolerance, a step): NaN, infinities, zero and negatives are usage errors.</summary>
    public static Option<double> PositiveFinite(this Option<double> option) => option.Check(OptionValues.PositiveFinite);

    public static Option<double?> PositiveFinite(this Option<double?> option) =>
        option.Check((name, v) => v is { } x ? OptionValues.PositiveFinite(name, x) : null);

    /// <summary>--jobs: at least one; each job is an ngspice process, so more than a few thousand is a typo.</summary>
    public static Option<int> Jobs(string description) => new Option<int>("--jobs", "-j")
    {
        Description = description,
        DefaultValueFactory = _ => Environment.ProcessorCount,
    }.Check((name, v) => OptionValues.InRange(name, v, 1, 4096));

    public static Option<double?> Tolerance(string description) => new Option<double?>("--tolerance") { Description = description }.PositiveFinite();

    /// <summary>A number of seconds a wait may take: positive and at most <see cref="OptionValues.MaxSeconds"/>.</summary>
    public static Option<double> Timeout(string description, double defaultSeconds) =>
        new Option<double>("--timeout") { Description = description, DefaultValueFactory = _ => defaultSeconds }.Check(OptionValues.Seconds);

    /// <summary>A comma-separated list of names, each one of <paramref name="allowed"/> (compared without case).</summary>
    public static Option<string?> NameList(this Option<string?> option, IEnumerable<string> allowed)
    {
        var names = allowed.ToArray();
        return option.Check((name, v) => OptionValues.OneOf(name, v!, true, names));
    }

    public static Option<string?> Engineering(string name, string description) =>
        new Option<string?>(name) { Description = description }.ParsedBy(text => PositiveEngineering(name, text!));

    /// <summary>A positive value in SPICE notation (1p, 1e-12, 1meg).</summary>
    public static double PositiveEngineering(string option, string text) =>
        Numbers.ParseEngineering(text) is { } value && value > 0 && double.IsFinite(value) ? value
            : throw new KirchhoffHwException("<options>", $"{option}: '{Names.CommentText(text)}' is not a positive value (examples: 1p, 1e-12, 1n)");

    public static ImportedModel Load(ParseResult r, Argument<string> model, Option<string?> config) =>
        ModelLoader.Load(r.GetValue(model)!, r.GetValue(config));

    public static (double[][] Inputs, string Origin) ReadInputs(ParseResult r, Design design, Option<string?> inputs, Option<int?> random, Option<int> seed,
        bool required = true, Action<string>? warn = null)
    {
        var path = r.GetValue(inputs);
        var count = r.GetValue(random);
        if (path is not null && count is not null) throw new KirchhoffHwException("<options>", "give either --inputs or --random, not both");
        if (count is { } n)
        {
            // Each case keeps its input, its boundary states and (in verify) its sampled trajectory.
            OptionValues.Require(OptionValues.CaseCount("--random", n, KirchhoffHw.Model.Validation.DesignSize.CaseBytes(design, 1, samples: 8 * design.Layers.Count)));
            var kind = design.Task == TaskKind.Classification ? RandomInputKind.Uniform01 : RandomInputKind.StandardNormal;
            int s = r.GetValue(seed);
            return (InputReader.Random(n, design.Input.Width, s, kind), $"random: {n} x {kind} inputs, seed {s}");
        }
        if (path is null)
        {
            if (!required) return ([], "none");
            throw new KirchhoffHwException("<options>", "no inputs: give --inputs FILE or --random N [--seed S]");
        }
        var vectors = InputReader.Read(path, design.Input.Width, design.NodeCount, warn);
        return (vectors, path);
    }

    public static Dictionary<string, string> SimulatorOptions(ParseResult r, Option<string[]> option) => SimulatorOptions(r.GetValue(option) ?? []);

    public static Dictionary<string, string> SimulatorOptions(IEnumerable<string> items)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in items)
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

    /// <summary>
    /// The option's text is checked where it is parsed: a name that is not one of the choices is a usage error
    /// (exit code 2) naming the option and the names, before the verb does any work. With <paramref name="list"/>
    /// the text is a comma-separated list of names (<see cref="GetAll"/>).
    /// </summary>
    public Choice(string name, string description, string defaultName, bool list, params (string Name, T Value)[] choices)
    {
        _choices = choices;
        var names = choices.Select(c => c.Name).ToArray();
        Option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => defaultName }
            .Check((option, text) => OptionValues.OneOf(option, text, list, names));
    }

    public Choice(string name, string description, string defaultName, params (string Name, T Value)[] choices)
        : this(name, description, defaultName, false, choices) { }

    public IEnumerable<string> Names => _choices.Select(c => c.Name);

    public T Get(ParseResult r) => Parse(r.GetValue(Option)!);

    /// <summary>Every name of a comma-separated list, each once, in the order given.</summary>
    public IReadOnlyList<T> GetAll(ParseResult r) => ParseAll(r.GetValue(Option)!);

    public IReadOnlyList<T> ParseAll(string text)
    {
        var list = new List<T>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var value = Parse(part);
            if (!list.Contains(value)) list.Add(value);
        }
        if (list.Count == 0) throw new KirchhoffHwException("<options>", $"{Option.Name} needs at least one of {string.Join(", ", Names)}");
        return list;
    }

    public T Parse(string text)
    {
        foreach (var (name, value) in _choices)
            if (string.Equals(name, text.Trim(), StringComparison.OrdinalIgnoreCase)) return value;
        throw new KirchhoffHwException("<options>", $"{Option.Name} '{Generate.Formatting.Names.CommentText(text)}' is not one of {string.Join(", ", Names)}");
    }
}

/// <summary>The model argument and the input options of every verb that runs inputs through a design.</summary>
internal sealed class ModelInputs(Console? console = null)
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
        Common.ReadInputs(r, design, Inputs, Random, Seed, required, Warn);

    private void Warn(string warning) => console?.Err.WriteLine("warning: " + KirchhoffHw.Model.Text.TerminalText.Escape(warning));

    /// <summary>The seed, when random inputs were drawn (it goes into the report).</summary>
    public int? SeedUsed(ParseResult r) => r.GetValue(Random) is not null || r.GetValue(Inputs) is null ? r.GetValue(Seed) : null;
}

/// <summary>--capacitance, --time-unit, --voltage-scale (a value or `auto`), --voltage-margin: the physical units of the circuit.</summary>
internal sealed class UnitOptions
{
    private readonly Option<string?> _c, _t, _v;
    private readonly Option<string?> _margin = new Option<string?>("--voltage-margin")
    {
        Description = "With --voltage-scale auto: the fraction of the rails' swing left unused, e.g. 0.1 or 10% (default 10%).",
    }.ParsedBy(text => Margin(text!));

    /// <param name="required">The verb builds for stated units (calibrate): each must be given, there is no design default to fall back on.</param>
    public UnitOptions(bool required = false)
    {
        string Default(string text) => required ? "" : " Default: " + text;
        _c = Common.Engineering("--capacitance", "Node capacitance in farads, SPICE notation (1p = 1e-12)." + Default("the design's (1 F for checkpoints)."));
        _t = Common.Engineering("--time-unit", "Seconds per model time unit (1n = 1e-9)." + Default("the design's (1 s)."));
        _v = new Option<string?>("--voltage-scale")
        {
            Description =
            "Volts per model voltage unit, or auto: from the largest |state| the reference reaches on the inputs, so every node stays --voltage-margin " +
            "inside the technology's rails (--tech, or the default technology's)." + Default("the design's (1 V)."),
        }.ParsedBy(text => VoltageScale(text!));
        foreach (var o in new[] { _c, _t, _v }) o.Required = required;
    }

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
        bool auto = IsAuto(r.GetValue(_v));
        var text = r.GetValue(_margin);
        if (text is not null && !auto) throw new KirchhoffHwException("<options>", "--voltage-margin applies to --voltage-scale auto only");
        if (!auto) return null;
        return text is null ? Flow.VoltageScaleStage.DefaultMargin : Margin(text);
    }

    private static bool IsAuto(string? text) => string.Equals(text?.Trim(), "auto", StringComparison.OrdinalIgnoreCase);

    private static double VoltageScale(string text) => IsAuto(text) ? 0 : Common.PositiveEngineering("--voltage-scale", text);

    private static double Margin(string text)
    {
        var t = text.Trim();
        bool percent = t.EndsWith('%');
        double? value = double.TryParse(percent ? t[..^1] : t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : null;
        if (percent) value /= 100;
        return value is >= 0 and < 1 ? value.Value
            : throw new KirchhoffHwException("<options>", $"--voltage-margin: '{Names.CommentText(text)}' is not a fraction in [0, 1) (examples: 0.1, 10%)");
    }

    private static double Get(ParseResult r, Option<string?> o, double fallback) =>
        r.GetValue(o) is { } text ? Common.PositiveEngineering(o.Name, text) : fallback;
}

/// <summary>
/// The bounds a verification holds a circuit to: --tolerance for the outputs, --state-atol and --state-rtol for every state
/// along the way (SPICE's rule: atol + rtol x the case's largest |state|). Shared by verify and flow.
/// </summary>
internal sealed class ToleranceOptions
{
    public Option<double?> Tolerance { get; } = Common.Tolerance("Largest |circuit - reference| of an output, model units (default 5e-3 for classifiers, 1e-3 otherwise).");
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

    public Option<string[]> SpiceOption { get; } = new Option<string[]>("--spice-option")
    {
        Description = "Override an ngspice .options entry, key=value (repeatable), e.g. --spice-option reltol=1e-5.",
        AllowMultipleArgumentsPerToken = false,
    }.ParsedBy(items => Common.SimulatorOptions(items));

    public Option<double?> MaxStep { get; } = new Option<double?>("--max-step")
    {
        Description = "Largest simulator step as a fraction of the shortest layer (default 0.05). Accuracy is set by ngspice's error control (reltol, trtol: see --spice-option); this cap is a backstop.",
    }.Check((name, v) => v is { } m ? OptionValues.Fraction(name, m) : null);

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Style.Option, SpiceOption, MaxStep }) command.Options.Add(o);
    }

    public Generate.SpiceOptions Spice(ParseResult r)
    {
        var spice = Generate.SpiceOptions.Default with { Style = Style.Get(r), SimulatorOptions = Common.SimulatorOptions(r, SpiceOption) };
        if (r.GetValue(MaxStep) is { } m) spice = spice with { MaxStepFraction = m };
        return spice;
    }
}

/// <summary>
/// --fidelity and --tech: which lowering pass the circuit goes through before a deck is written. Shared by
/// generate and verify so the choice reads and behaves the same everywhere (flow takes a list of fidelities).
/// </summary>
internal sealed class FidelityOptions
{
    public static Choice<Model.Fidelity> Choice(string description, bool list = false) => new("--fidelity", description, "ideal", list,
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
        if (mapping.DeckLimits() is { } deck)
            yield return "transistor deck (v2 cells): " + (deck.AtLimit == 0
                ? "every device within its unit's bias range"
                : $"{deck.AtLimit} of {mapping.Layers.Sum(l => l.Devices)} devices built at the limit, not as trained ({deck.First})");
    }
}
