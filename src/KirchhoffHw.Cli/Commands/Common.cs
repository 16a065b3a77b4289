using System.CommandLine;
using System.CommandLine.Parsing;
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

    public static Option<int?> Random() => new Option<int?>("--random")
    {
        Description = "Use N random inputs instead of --inputs: uniform in [0,1] for classifiers, standard normal otherwise.",
    }.Check((name, v) => v is { } n ? OptionValues.AtLeast(name, n, 1) : null);

    public static Option<int> Seed() => new("--seed")
    {
        Description = "Seed for --random (recorded in the output so a run can be repeated).",
        DefaultValueFactory = _ => 0,
    };

    public static Option<string?> Engineering(string name, string description) => new(name) { Description = description };

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

    /// <summary>Units from --capacitance/--time-unit/--voltage-scale over the design's own (SPICE notation: 1p, 1n, 1meg).</summary>
    public static Units Units(ParseResult r, Units baseUnits, Option<string?> c, Option<string?> t, Option<string?> v)
    {
        double Get(Option<string?> o, double fallback)
        {
            var text = r.GetValue(o);
            if (text is null) return fallback;
            var value = Numbers.ParseEngineering(text);
            if (value is not > 0) throw new KirchhoffHwException("<options>", $"{o.Name}: '{Names.CommentText(text)}' is not a positive value (examples: 1p, 1e-12, 1n)");
            return value.Value;
        }
        return new Units(Get(c, baseUnits.Capacitance), Get(t, baseUnits.TimeUnit), Get(v, baseUnits.VoltageScale));
    }

    public static (Option<string?> C, Option<string?> T, Option<string?> V) UnitOptions() => (
        Engineering("--capacitance", "Node capacitance in farads, SPICE notation (1p = 1e-12). Default: the design's (1 F for checkpoints)."),
        Engineering("--time-unit", "Seconds per model time unit (1n = 1e-9). Default: the design's (1 s)."),
        Engineering("--voltage-scale", "Volts per model voltage unit. Default: the design's (1 V)."));

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

    public static Option<string[]> SpiceOption() => new("--spice-option")
    {
        Description = "Override an ngspice .options entry, key=value (repeatable), e.g. --spice-option reltol=1e-5.",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string> Style() => new Option<string>("--style")
    {
        Description = "Deck style: devices (one subcircuit instance per device), merged (one source per node pair), auto (merged for big designs).",
        DefaultValueFactory = _ => "auto",
    }.Check((name, v) => OptionValues.OneOf(name, v, false, "auto", "devices", "merged"));

    public static Option<double?> MaxStep() => new Option<double?>("--max-step")
    {
        Description = "Largest simulator step as a fraction of the shortest layer (default 0.05). Accuracy is set by ngspice's error control (reltol, trtol: see --spice-option); this cap is a backstop.",
    }.Check((name, v) => v is { } m ? OptionValues.Fraction(name, m) : null);

    /// <summary>
    /// Validates an option's value where it is parsed: a bad value (NaN, an infinity, a negative count) is a usage
    /// error naming the option, exit code 2, before any work starts.
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


    /// <summary>--jobs: at least one; each job is an ngspice process, so more than a few thousand is a typo.</summary>
    public static Option<int> Jobs(string description) => new Option<int>("--jobs", "-j")
    {
        Description = description,
        DefaultValueFactory = _ => Environment.ProcessorCount,
    }.Check((name, v) => OptionValues.InRange(name, v, 1, 4096));

    public static Option<double?> Tolerance(string description) => new Option<double?>("--tolerance") { Description = description }
        .Check((name, v) => v is { } t ? OptionValues.PositiveFinite(name, t) : null);

    public static Generate.SpiceOptions Spice(ParseResult r, Option<string> style, Option<string[]> spiceOption, Option<double?> maxStep)
    {
        var spice = Generate.SpiceOptions.Default with
        {
            Style = ParseStyle(r.GetValue(style)!),
            SimulatorOptions = SimulatorOptions(r, spiceOption),
        };
        if (r.GetValue(maxStep) is { } m) spice = spice with { MaxStepFraction = m };
        return spice;
    }

    public static Generate.DeckStyle ParseStyle(string text) => text.ToLowerInvariant() switch
    {
        "auto" => Generate.DeckStyle.Auto,
        "devices" => Generate.DeckStyle.Devices,
        "merged" => Generate.DeckStyle.Merged,
        _ => throw new KirchhoffHwException("<options>", $"--style '{Names.CommentText(text)}' is not one of auto, devices, merged"),
    };
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
}

/// <summary>The options that choose the physical circuit and its deck: units, style, simulator options, step cap.</summary>
internal sealed class CircuitOptions
{
    private readonly (Option<string?> C, Option<string?> T, Option<string?> V) _units = Common.UnitOptions();
    public Option<string> Style { get; } = Common.Style();
    public Option<string[]> SpiceOption { get; } = Common.SpiceOption();
    public Option<double?> MaxStep { get; } = Common.MaxStep();

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { _units.C, _units.T, _units.V, Style, SpiceOption, MaxStep }) command.Options.Add(o);
    }

    /// <summary>The design with the units asked for on the command line (checked).</summary>
    public Design Apply(ParseResult r, Design design)
    {
        var d = design.With(units: Common.Units(r, design.Units, _units.C, _units.T, _units.V));
        foreach (var problem in d.Units.Problems()) throw new KirchhoffHwException("<options>", problem);
        return d;
    }

    public Generate.SpiceOptions Spice(ParseResult r) => Common.Spice(r, Style, SpiceOption, MaxStep);
}

/// <summary>
/// --fidelity and --tech: which lowering pass the circuit goes through before a deck is written. Shared by
/// generate, verify and flow so the choice reads and behaves the same everywhere.
/// </summary>
internal sealed class FidelityOptions
{
    public Option<string> Fidelity { get; } = new Option<string>("--fidelity")
    {
        Description = "ideal (exact device laws, default), macro (each device as its characterized and fitted MOS cell: a table " +
            "per cell) or transistor (every device as its MOS cell, in --tech). Cells are characterized in ngspice once per " +
            "technology and cached (KIRCHHOFFHW_CACHE, default ~/.cache/kirchhoffhw).",
        DefaultValueFactory = _ => "ideal",
    }.Check((name, v) => OptionValues.OneOf(name, v, false, "ideal", "macro", "transistor"));

    public Option<string?> Tech { get; } = new("--tech")
    {
        Description = "Technology YAML for macro and transistor fidelity: model library (.lib/.include and corner), rails, size " +
            "and bias limits. Default: the shipped PTM 45 nm (designs/tech/ptm45hp.yaml); copy it to point at your own PDK.",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Fidelity);
        command.Options.Add(Tech);
    }

    public Model.Fidelity Parse(ParseResult r) => ParseOne(r.GetValue(Fidelity)!);

    /// <summary>One fidelity name, as `generate`/`verify` take it and `flow` takes each of its list.</summary>
    public static Model.Fidelity ParseOne(string name) => name.ToLowerInvariant() switch
    {
        "ideal" => Model.Fidelity.Ideal,
        "macro" => Model.Fidelity.Macro,
        "transistor" => Model.Fidelity.Transistor,
        _ => throw new KirchhoffHwException("<options>", $"--fidelity '{Names.CommentText(name)}' is not one of ideal, macro, transistor"),
    };

    /// <summary>
    /// Lowers <paramref name="design"/> to the fidelity asked for. The operating range of the fits comes from the
    /// reference on (up to 16 of) <paramref name="inputs"/>; with no inputs, node voltages are taken to stay within 1.
    /// </summary>
    public (Cells.Lowered Lowered, Cells.PhysicalMapping? Mapping) Lower(ParseResult r, Design design, IReadOnlyList<double[]> inputs)
    {
        var fidelity = Parse(r);
        if (fidelity == Model.Fidelity.Ideal) return (Cells.Lowering.Lower(design, fidelity, null), null);
        var tech = Cells.Technology.Load(r.GetValue(Tech) ?? Cells.Technology.DefaultPath());
        var range = Cells.OperatingRange.Of(design, inputs);
        var library = Cells.CellLibrary.Build(tech, new Cells.Characterizer(tech));
        return (Cells.Lowering.Lower(design, fidelity, library, range), new Cells.PhysicalMapping(design, library, range));
    }

    /// <summary>One line per layer: realizability counts and fit errors (what the issue note asks a run to say).</summary>
    public static IEnumerable<string> Describe(Cells.PhysicalMapping mapping, Units units)
    {
        foreach (var l in mapping.Layers)
            yield return $"layer {l.Layer}: {l.Devices} {l.Model} cells, {l.NeedActive} need an active cell, {l.Unrealizable} not realizable as trained " +
                $"within the tech limits, {l.Omitted} omitted (zero); {l.Transistors} transistors, static {l.StaticCurrent:G3} A, area {l.Area * 1e12:G4} um^2; " +
                $"fit error max {l.MaxFitErrorModel:G3} ({l.MaxFitErrorAmps:G3} A), rms {l.RmsFitErrorModel:G3} model units over |v| <= {mapping.OperatingVolts:G3}";
    }
}
