using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Slurm;

/// <summary>A case an array task runs: its index in the run and the journal key its verdict is filed under.</summary>
public sealed record PlannedCase(int Index, string Key);

/// <summary>
/// What the tasks of one submitted array job need to rebuild the run's verification exactly and run their share of
/// it: where the design comes from (the model file as given, read in place on the shared filesystem), its units,
/// every input, the fidelity and technology the circuit is lowered to, the simulator, every option that shapes a
/// verdict, and which cases each array index runs. The run key and case keys are the submitting run's: a task that
/// rebuilds a different run (the model, the technology or the program changed since) refuses to journal anything.
/// </summary>
public sealed record TaskPlan
{
    /// <summary>Bumped when the file's meaning changes, so a task of another version refuses a plan it would misread.</summary>
    public const int FormatVersion = 1;

    /// <summary>The checkpoint (model.pth) or design (*.yaml), absolute.</summary>
    public required string Model { get; init; }

    /// <summary>The checkpoint's config.yaml, absolute; null = beside the model.</summary>
    public string? Config { get; init; }

    /// <summary>The technology file, absolute; null = the shipped default.</summary>
    public string? Tech { get; init; }

    public required Units Units { get; init; }
    public required Fidelity Fidelity { get; init; }

    /// <summary>The co-simulation backend's name (<see cref="CoSimBackend.All"/>).</summary>
    public required string Backend { get; init; }

    /// <summary>The verification's options before lowering: the task lowers the circuit and applies its own.</summary>
    public required VerifyOptions Options { get; init; }

    public required IReadOnlyList<double[]> Inputs { get; init; }

    /// <summary>The submitting run's <see cref="CaseBatch.RunKey"/>.</summary>
    public required string RunKey { get; init; }

    /// <summary>The folder of per-task journals (<see cref="Journal.TaskJournal.DirectoryFor"/> of the verdict), absolute.</summary>
    public required string JournalDirectory { get; init; }

    /// <summary>Per array index, the cases that task runs.</summary>
    public required IReadOnlyList<IReadOnlyList<PlannedCase>> Tasks { get; init; }

    public void Save(string path) => AtomicFile.Write(path, s =>
    {
        using var w = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteNumber("format", FormatVersion);
        w.WriteString("model", Model);
        w.WriteString("config", Config);
        w.WriteString("tech", Tech);
        w.WritePropertyName("units");
        JsonSerializer.Serialize(w, Units, Json);
        w.WriteString("fidelity", Fidelity.ToString());
        w.WriteString("backend", Backend);
        w.WritePropertyName("options");
        JsonSerializer.Serialize(w, Options, Json);
        w.WriteString("run_key", RunKey);
        w.WriteString("journal_directory", JournalDirectory);
        w.WritePropertyName("inputs");
        JsonSerializer.Serialize(w, Inputs, Json);
        w.WriteStartArray("tasks");
        foreach (var task in Tasks)
        {
            w.WriteStartArray();
            foreach (var c in task)
            {
                w.WriteStartObject();
                w.WriteNumber("index", c.Index);
                w.WriteString("key", c.Key);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });

    public static TaskPlan Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KirchhoffHwException(path, $"cannot read the task plan: {e.Message} (on a cluster it must be on a filesystem every node mounts)");
        }
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            var e = doc.RootElement;
            var format = e.GetProperty("format").GetInt32();
            if (format != FormatVersion)
                throw new KirchhoffHwException(path, $"task plan format {format}, but this kirchhoffhw reads format {FormatVersion}: " +
                    "the tasks must run the same build as the command that submitted them");
            var fidelityText = e.GetProperty("fidelity").GetString()!;
            if (!Enum.TryParse<Fidelity>(fidelityText, out var fidelity) || !Enum.IsDefined(fidelity))
                throw new FormatException($"fidelity '{fidelityText}'");
            var plan = new TaskPlan
            {
                Model = e.GetProperty("model").GetString()!,
                Config = e.GetProperty("config").GetString(),
                Tech = e.GetProperty("tech").GetString(),
                Units = e.GetProperty("units").Deserialize<Units>(Json)!,
                Fidelity = fidelity,
                Backend = e.GetProperty("backend").GetString()!,
                Options = e.GetProperty("options").Deserialize<VerifyOptions>(Json)!,
                RunKey = e.GetProperty("run_key").GetString()!,
                JournalDirectory = e.GetProperty("journal_directory").GetString()!,
                Inputs = e.GetProperty("inputs").Deserialize<double[][]>(Json)!,
                Tasks = e.GetProperty("tasks").EnumerateArray()
                    .Select(t => (IReadOnlyList<PlannedCase>)t.EnumerateArray()
                        .Select(c => new PlannedCase(c.GetProperty("index").GetInt32(), c.GetProperty("key").GetString()!)).ToList())
                    .ToList(),
            };
            foreach (var c in plan.Tasks.SelectMany(t => t))
                if (c.Index < 0 || c.Index >= plan.Inputs.Count) throw new FormatException($"case {c.Index} of {plan.Inputs.Count} inputs");
            return plan;
        }
        catch (Exception x) when (x is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException or NotSupportedException)
        {
            throw new KirchhoffHwException(path, $"not a task plan written by `kirchhoffhw verify --scheduler slurm`: {x.Message}");
        }
    }

    /// <summary>
    /// Options are written whole, so an option added to <see cref="VerifyOptions"/> or the deck's options reaches the
    /// tasks without a change here; only what lowering sets in the task (the circuit, its fidelity, rails and
    /// transistor netlist) is left out.
    /// </summary>
    private static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { LeaveOutLoweringResults } },
    };

    private static void LeaveOutLoweringResults(JsonTypeInfo info)
    {
        string[] lowered = info.Type == typeof(VerifyOptions) ? [nameof(VerifyOptions.Circuit), nameof(VerifyOptions.Fidelity), nameof(VerifyOptions.Rails)]
            : info.Type == typeof(Generate.SpiceOptions) ? [nameof(Generate.SpiceOptions.Devices)]
            : [];
        for (int i = info.Properties.Count - 1; i >= 0; i--)
            if (lowered.Contains(info.Properties[i].Name)) info.Properties.RemoveAt(i);
    }
}
