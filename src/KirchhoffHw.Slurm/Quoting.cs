using System.Text;
using KirchhoffHw.Model;

namespace KirchhoffHw.Slurm;

/// <summary>
/// The only ways a value reaches an sbatch script: as a bash word (<see cref="Shell"/>) or as the argument of
/// an `#SBATCH` line (<see cref="Directive"/>). Neither can end a line, start a command or add a directive.
/// </summary>
public static class Quoting
{
    /// <summary>
    /// A single bash word that expands to exactly <paramref name="value"/>: left bare when it is made of
    /// characters bash never interprets, otherwise single-quoted (a quote inside becomes '\''). Only NUL,
    /// which no argument can hold, is refused.
    /// </summary>
    public static string Shell(string value, string what = "value")
    {
        if (value.Contains('\0')) throw new KirchhoffHwException(what, "a NUL character cannot be passed to a command");
        if (value.Length > 0 && value.All(IsBare)) return value;
        return "'" + value.Replace("'", "'\\''") + "'";
    }

    private static bool IsBare(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '-' or '.' or '/' or ',' or ':' or '@' or '+';

    /// <summary>
    /// The argument of an `#SBATCH --option=` line. sbatch reads these lines itself (no shell): a double-quoted
    /// argument runs to the closing quote, a backslash escapes the next character and an unquoted `#` starts
    /// a comment, so the value is double-quoted with `\` and `"` escaped. A line break or any other control
    /// character would end the directive and is refused.
    /// </summary>
    public static string Directive(string value, string what)
    {
        foreach (var c in value)
            if (char.IsControl(c))
                throw new KirchhoffHwException(what, $"control character U+{(int)c:X4} is not allowed in a Slurm option value");
        var sb = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            if (c is '\\' or '"') sb.Append('\\');
            sb.Append(c);
        }
        return sb.Append('"').ToString();
    }

    /// <summary>
    /// A literal folder inside a Slurm filename pattern (`--output`): `%` is doubled so it is not a replacement
    /// symbol. Slurm turns off every replacement when a pattern holds a backslash, so such a folder is refused.
    /// </summary>
    public static string FilenamePatternFolder(string folder, string what)
    {
        if (folder.Contains('\\'))
            throw new KirchhoffHwException(what, "a backslash in the log folder would turn off Slurm's %A/%a file names: choose another folder");
        return folder.Replace("%", "%%");
    }
}
