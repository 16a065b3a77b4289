namespace KirchhoffHw.Simulate.Ngspice;

internal static class DeckLines
{
    /// <summary>LF line ends and a final newline: ngspice reads "\r" as part of the last token.</summary>
    public static string Normalise(string deck)
    {
        var text = deck.Contains('\r') ? deck.Replace("\r\n", "\n").Replace('\r', '\n') : deck;
        return text.EndsWith('\n') ? text : text + "\n";
    }
}
