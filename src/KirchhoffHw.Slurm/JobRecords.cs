using System.Globalization;
using System.Text.RegularExpressions;

namespace KirchhoffHw.Slurm;

/// <summary>One record of an array job as Slurm reports it: a task, or a block of still-pending tasks.</summary>
public sealed record JobRecord(IReadOnlyList<int> Indices, string State, int? ExitCode, int? Signal, string? Reason, string? Node);

/// <summary>
/// Readers for the two places job states come from: `scontrol show job -o` (slurmctld's memory, which holds
/// finished jobs for MinJobAge seconds and is all a cluster without accounting has) and `sacct -P` (the
/// accounting database, where a site has one).
/// </summary>
public static partial class JobRecords
{
    /// <summary>Records of array job <paramref name="arrayJobId"/> in `scontrol show job -o` output.</summary>
    public static IReadOnlyList<JobRecord> ParseScontrol(string output, string arrayJobId)
    {
        var records = new List<JobRecord>();
        foreach (var raw in output.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            // JobName is free text and comes early; everything we read sits before it (ids) or between
            // UserId and Command (state, reason, exit code, nodes), whose values hold no paths.
            var nameAt = line.IndexOf(" JobName=", StringComparison.Ordinal);
            var head = Fields(nameAt < 0 ? line : line[..nameAt]);
            if (!head.TryGetValue("ArrayJobId", out var job) || job != arrayJobId) continue;
            if (!head.TryGetValue("ArrayTaskId", out var taskSpec)) continue;
            var user = UserField().Match(line, nameAt < 0 ? 0 : nameAt);
            var commandAt = line.IndexOf(" Command=", user.Success ? user.Index : 0, StringComparison.Ordinal);
            var body = Fields(user.Success ? line[user.Index..(commandAt < 0 ? line.Length : commandAt)] : "");
            body.TryGetValue("JobState", out var state);
            var (code, signal) = ExitCode(body.GetValueOrDefault("ExitCode"));
            records.Add(new JobRecord(ParseIndices(taskSpec), state ?? "UNKNOWN", code, signal,
                NullIfNone(body.GetValueOrDefault("Reason")), NullIfNone(body.GetValueOrDefault("NodeList"))));
        }
        return records;
    }

    /// <summary>Records in `sacct -n -P -X --format=JobID,State,ExitCode,NodeList,Reason` output.</summary>
    public static IReadOnlyList<JobRecord> ParseSacct(string output, string arrayJobId)
    {
        var records = new List<JobRecord>();
        foreach (var raw in output.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            var f = line.Split('|');
            if (f.Length < 5) continue;
            var id = f[0];
            if (!id.StartsWith(arrayJobId + "_", StringComparison.Ordinal)) continue;
            var spec = id[(arrayJobId.Length + 1)..].Trim('[', ']');
            var (code, signal) = ExitCode(f[2]);
            records.Add(new JobRecord(ParseIndices(spec), f[1], code, signal, NullIfNone(f[4]),
                f[3] is "None assigned" ? null : NullIfNone(f[3])));
        }
        return records;
    }

    /// <summary>Slurm's array index list: "3", "0-7", "1,3,5-9", "0-9:2", with an optional "%N" throttle.</summary>
    public static IReadOnlyList<int> ParseIndices(string spec)
    {
        var text = spec.Split('%', 2)[0];
        var list = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var stepAt = part.IndexOf(':');
            var step = stepAt < 0 ? 1 : Int(part[(stepAt + 1)..]);
            var range = stepAt < 0 ? part : part[..stepAt];
            var dash = range.IndexOf('-');
            if (dash < 0) { list.Add(Int(range)); continue; }
            var (from, to) = (Int(range[..dash]), Int(range[(dash + 1)..]));
            if (step < 1 || to < from) throw new FormatException($"array index range '{part}'");
            for (var i = from; i <= to; i += step) list.Add(i);
        }
        return list;
    }

    private static int Int(string s) => int.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>Slurm's "code:signal".</summary>
    private static (int? Code, int? Signal) ExitCode(string? text)
    {
        if (string.IsNullOrEmpty(text)) return (null, null);
        var parts = text.Split(':');
        int? Part(int i) => parts.Length > i && int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
        return (Part(0), Part(1));
    }

    private static string? NullIfNone(string? s) => s is null or "" or "None" or "(null)" ? null : s;

    /// <summary>`Key=value` fields separated by spaces; a word that does not start a field belongs to the value before it.</summary>
    private static Dictionary<string, string> Fields(string text)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        string? key = null;
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var m = FieldStart().Match(word);
            if (m.Success)
            {
                key = m.Groups[1].Value;
                fields[key] = word[(m.Length)..];
            }
            else if (key is not null) fields[key] += " " + word;
        }
        return fields;
    }

    [GeneratedRegex(@"^([A-Za-z][A-Za-z0-9_/:]*)=")]
    private static partial Regex FieldStart();

    [GeneratedRegex(@" UserId=\S*\(\d+\) GroupId=")]
    private static partial Regex UserField();
}
