using System.Text;

namespace KirchhoffHw.Generate.Formatting;

/// <summary>
/// The only way a name reaches generated text. Net names are built from integers (node k is `n&lt;k&gt;` in every
/// dialect, documented so any tool can find it); free text from a design (its name) is reduced to a safe
/// identifier or a single-line comment body, so no design can start a new line, a `.control` block, a
/// `shell` command, an `.include` or Verilog text.
/// </summary>
public static class Names
{
    public static string Node(int node) => node == 0 ? "0" : "n" + Numbers.Format(node);

    public static string Phase(int layer) => "ph" + Numbers.Format(layer);

    /// <summary>Node k's voltage as SPICE probes and expressions name it: `v(n&lt;k&gt;)`.</summary>
    public static string Voltage(int node) => $"v({Node(node)})";

    /// <summary>[A-Za-z_][A-Za-z0-9_]* from any text: other characters become '_', a leading digit gets a prefix.</summary>
    public static string Identifier(string? text, string fallback = "design")
    {
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        var sb = new StringBuilder(text.Length + 1);
        foreach (var c in text.Normalize(NormalizationForm.FormKC))
            sb.Append(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' ? c : '_');
        if (char.IsDigit(sb[0])) sb.Insert(0, '_');
        var id = sb.ToString();
        return id.Length > 64 ? id[..64] : id;
    }

    /// <summary>
    /// A net as the simulator itself named it (`xdrv0.am`: subcircuit instances joined by dots), read back from a
    /// run of our own deck; refused (null) unless it is dotted identifiers, so a tampered file cannot reach a deck.
    /// </summary>
    public static string? SimulatorNet(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > 200) return null;
        foreach (var part in text.Split('.'))
            if (part.Length == 0 || !part.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_')) return null;
        return text.ToLowerInvariant();
    }

    /// <summary>Text safe inside a one-line comment: printable ASCII only, no line breaks, bounded length.</summary>
    public static string CommentText(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var sb = new StringBuilder(Math.Min(text.Length, 200));
        foreach (var c in text)
        {
            if (sb.Length >= 200) break;
            sb.Append(c is >= ' ' and <= '~' ? c : '?');
        }
        return sb.ToString();
    }
}
