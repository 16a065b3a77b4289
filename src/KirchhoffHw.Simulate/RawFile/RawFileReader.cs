using System.Globalization;
using System.Text;
using KirchhoffHw.Model;

namespace KirchhoffHw.Simulate.RawFile;

/// <summary>
/// Reads SPICE raw files as ngspice writes them (binary and ASCII, real and complex, several plots in a row).
/// Header: "Title:", "Date:", "Plotname:", "Flags:", "No. Variables:", "No. Points:", "Variables:" then one
/// line per variable ("\tindex\tname\ttype"), then "Binary:" (little-endian doubles, point-major, two per complex
/// value) or "Values:" (point index, then one value per line, complex as "re,im").
/// </summary>
public static class RawFileReader
{
    public static IReadOnlyList<RawPlot> Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KirchhoffHwException(path, $"cannot read raw file: {e.Message}", e);
        }
        return Read(bytes, path);
    }

    public static IReadOnlyList<RawPlot> Read(ReadOnlySpan<byte> data, string fileName)
    {
        var cursor = new Cursor(fileName);
        var plots = new List<RawPlot>();
        while (true)
        {
            cursor.SkipBlankLines(data);
            if (cursor.Position >= data.Length) break;
            plots.Add(ReadPlot(data, ref cursor));
        }
        if (plots.Count == 0) throw new KirchhoffHwException(fileName, "raw file holds no plot");
        return plots;
    }

    private static RawPlot ReadPlot(ReadOnlySpan<byte> data, ref Cursor c)
    {
        string title = "", date = "", plotname = "", flags = "";
        int nVars = -1, nPoints = -1;
        var variables = new List<RawVariable>();
        while (true)
        {
            var headerLine = c.Line;
            var line = c.ReadLine(data) ?? throw c.Error("raw file ends inside a header");
            var colon = line.IndexOf(':');
            if (colon < 0) throw c.Error($"expected 'Field: value' in the raw header, found '{Trunc(line)}'", headerLine);
            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            switch (key.ToLowerInvariant())
            {
                case "title": title = value; break;
                case "date": date = value; break;
                case "plotname": plotname = value; break;
                case "flags": flags = value; break;
                case "no. variables": nVars = ParseCount(value, "No. Variables", c, headerLine); break;
                case "no. points": nPoints = ParseCount(value, "No. Points", c, headerLine); break;
                case "variables":
                    if (nVars < 0) throw c.Error("'Variables:' before 'No. Variables:'", headerLine);
                    if (value.Length > 0) variables.Add(ParseVariable(value, c, headerLine));
                    while (variables.Count < nVars)
                    {
                        var varLine = c.Line;
                        var v = c.ReadLine(data) ?? throw c.Error("raw file ends inside the variable list");
                        variables.Add(ParseVariable(v, c, varLine));
                    }
                    break;
                case "binary":
                case "values":
                    if (nVars <= 0 || nPoints < 0 || variables.Count != nVars)
                        throw c.Error("raw header lacks 'No. Variables', 'No. Points' or the variable list", headerLine);
                    var complex = flags.Contains("complex", StringComparison.OrdinalIgnoreCase);
                    var real = NewColumns(nVars, nPoints);
                    var imag = complex ? NewColumns(nVars, nPoints) : null;
                    var points = key.Equals("binary", StringComparison.OrdinalIgnoreCase)
                        ? ReadBinary(data, ref c, real, imag, nPoints)
                        : ReadAscii(data, ref c, real, imag, nPoints);
                    if (points < nPoints)
                    {
                        // An aborted run can leave fewer points than the header announces: keep what is there.
                        real = Shrink(real, points);
                        if (imag is not null) imag = Shrink(imag, points);
                    }
                    return new RawPlot(title, date, plotname, flags, variables, points, real, imag);
                default:
                    break; // other fields ("Command:", "Option:") carry nothing we need
            }
        }
    }

    private static int ReadBinary(ReadOnlySpan<byte> data, ref Cursor c, double[][] real, double[][]? imag, int nPoints)
    {
        var nVars = real.Length;
        var width = imag is null ? 1 : 2;
        var rowBytes = nVars * width * sizeof(double);
        var available = (data.Length - c.Position) / rowBytes;
        var points = Math.Min(nPoints, available);
        var doubles = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(
            data.Slice(c.Position, points * rowBytes));
        if (!BitConverter.IsLittleEndian) throw c.Error("binary raw files are read on little-endian hosts only");
        var k = 0;
        for (var p = 0; p < points; p++)
            for (var v = 0; v < nVars; v++)
            {
                real[v][p] = doubles[k++];
                if (imag is not null) imag[v][p] = doubles[k++];
            }
        // A short file ends here: a partial last point is dropped, and nothing follows it.
        c.Position = points < nPoints ? data.Length : c.Position + points * rowBytes;
        return points;
    }

    private static int ReadAscii(ReadOnlySpan<byte> data, ref Cursor c, double[][] real, double[][]? imag, int nPoints)
    {
        var nVars = real.Length;
        for (var p = 0; p < nPoints; p++)
        {
            for (var v = 0; v < nVars; v++)
            {
                var lineNo = c.Line;
                var line = c.ReadLine(data);
                if (line is null) return p == 0 || v == 0 ? p : throw c.Error("raw file ends inside a point", lineNo);
                var text = line.Trim();
                if (v == 0)
                {
                    // "index<ws>value": the index must be the point number.
                    var split = text.IndexOfAny([' ', '\t']);
                    if (split < 0 || !int.TryParse(text[..split], NumberStyles.Integer, CultureInfo.InvariantCulture, out var index) || index != p)
                    {
                        if (text.Length == 0 || char.IsLetter(text[0])) { c.Rewind(line); return p; } // next plot's header
                        throw c.Error($"expected point {p}, found '{Trunc(text)}'", lineNo);
                    }
                    text = text[(split + 1)..].Trim();
                }
                ParseValue(text, c, lineNo, out real[v][p], out var im);
                if (imag is not null) imag[v][p] = im;
            }
        }
        return nPoints;
    }

    private static void ParseValue(string text, Cursor c, int line, out double re, out double im)
    {
        var comma = text.IndexOf(',');
        im = 0;
        var ok = comma < 0
            ? double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out re)
            : double.TryParse(text.AsSpan(0, comma), NumberStyles.Float, CultureInfo.InvariantCulture, out re)
              && double.TryParse(text.AsSpan(comma + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out im);
        if (!ok) throw c.Error($"'{Trunc(text)}' is not a number", line);
    }

    private static RawVariable ParseVariable(string line, Cursor c, int lineNo)
    {
        var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 3 || !int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var index))
            throw c.Error($"expected 'index name type', found '{Trunc(line)}'", lineNo);
        return new RawVariable(index, parts[1], parts[2]);
    }

    private static int ParseCount(string value, string field, Cursor c, int line) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0
            ? n : throw c.Error($"'{field}' is not a count: '{Trunc(value)}'", line);

    private static double[][] NewColumns(int nVars, int nPoints)
    {
        var columns = new double[nVars][];
        for (var v = 0; v < nVars; v++) columns[v] = new double[nPoints];
        return columns;
    }

    private static double[][] Shrink(double[][] columns, int points) => columns.Select(col => col[..points]).ToArray();

    private static string Trunc(string s) => s.Length <= 60 ? s : s[..60] + "...";

    private struct Cursor(string file)
    {
        public int Position;
        public int Line = 1;
        private readonly string _file = file;

        public string? ReadLine(ReadOnlySpan<byte> data)
        {
            if (Position >= data.Length) return null;
            var rest = data[Position..];
            var end = rest.IndexOf((byte)'\n');
            var length = end < 0 ? rest.Length : end;
            var line = Encoding.Latin1.GetString(rest[..length]).TrimEnd('\r');
            Position += end < 0 ? rest.Length : end + 1;
            Line++;
            return line;
        }

        public void Rewind(string line)
        {
            Position -= Encoding.Latin1.GetByteCount(line) + 1;
            Line--;
        }

        public void SkipBlankLines(ReadOnlySpan<byte> data)
        {
            while (Position < data.Length && (data[Position] == (byte)'\n' || data[Position] == (byte)'\r' || data[Position] == (byte)' '))
            {
                if (data[Position] == (byte)'\n') Line++;
                Position++;
            }
        }

        public readonly KirchhoffHwException Error(string message, int line = 0) =>
            new(new SourceLocation(_file, line > 0 ? line : Line), message);
    }
}
