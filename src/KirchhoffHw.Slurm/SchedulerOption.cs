using System.Text.RegularExpressions;
using KirchhoffHw.Model;

namespace KirchhoffHw.Slurm;

/// <summary>
/// A site option passed to sbatch as a long option: `account=proj` becomes `#SBATCH --account="proj"`, `exclusive`
/// (no value) becomes `#SBATCH --exclusive`. Keys are sbatch's long option names; the options the job script
/// owns (the array, its log files, the partition, which has its own setting) are refused.
/// </summary>
public sealed partial record SchedulerOption
{
    private static readonly HashSet<string> Owned = new(StringComparer.Ordinal)
    {
        "array", "output", "error", "input", "open-mode", "partition", "wrap", "parsable", "test-only", "chdir",
    };

    public string Key { get; }
    public string? Value { get; }

    public SchedulerOption(string key, string? value = null)
    {
        const string where = "--scheduler-option";
        if (!KeyPattern().IsMatch(key))
            throw new KirchhoffHwException(where, $"'{Printable(key)}' is not an sbatch long option name (letters, digits and '-', e.g. account, time, mem)");
        if (Owned.Contains(key))
            throw new KirchhoffHwException(where, key == "partition"
                ? "the partition has its own setting (--partition)"
                : $"--{key} is set by the job script itself and cannot be overridden");
        if (value is not null) Quoting.Directive(value, $"{where} {key}");
        Key = key;
        Value = value;
    }

    /// <summary>`KEY=VALUE` or `KEY`, as given on a command line.</summary>
    public static SchedulerOption Parse(string text)
    {
        var eq = text.IndexOf('=');
        return eq < 0 ? new SchedulerOption(text) : new SchedulerOption(text[..eq], text[(eq + 1)..]);
    }

    /// <summary>The text after `#SBATCH `.</summary>
    public string Directive => Value is null ? "--" + Key : "--" + Key + "=" + Quoting.Directive(Value, "--scheduler-option " + Key);

    public override string ToString() => Value is null ? Key : Key + "=" + Value;

    private static string Printable(string s) => new(s.Select(c => char.IsControl(c) ? '?' : c).Take(80).ToArray());

    [GeneratedRegex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$")]
    private static partial Regex KeyPattern();
}
