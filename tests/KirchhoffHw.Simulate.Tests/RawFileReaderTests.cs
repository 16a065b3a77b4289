using System.Diagnostics;
using System.Text;
using KirchhoffHw.Model;
using KirchhoffHw.Simulate.RawFile;

namespace KirchhoffHw.Simulate.Tests;

public sealed class RawFileReaderTests
{
    private const string AsciiReal = """
        Title: rc
        Date: Mon Nov 23 01:55:52  2026
        Plotname: Transient Analysis
        Flags: real
        No. Variables: 2
        No. Points: 3
        Variables:
        	0	time	time
        	1	v(n1)	voltage
        Values:
         0	0.000000000000000e+00
        	1.000000000000000e+00
         1	1.000000000000000e-09
        	3.678794411714423e-01
         2	2.000000000000000e-09
        	1.353352832366127e-01

        """;

    private static ReadOnlySpan<byte> Bytes(string text) => Encoding.ASCII.GetBytes(text.Replace("\r\n", "\n"));

    [Test]
    public void When_AsciiRealPlot_Expect_HeaderAndColumns()
    {
        var plot = RawFileReader.Read(Bytes(AsciiReal), "rc.raw").Single();
        Assert.That(plot.Plotname, Is.EqualTo("Transient Analysis"));
        Assert.That(plot.IsComplex, Is.False);
        Assert.That(plot.Variables.Select(v => v.Name), Is.EqualTo(new[] { "time", "v(n1)" }));
        Assert.That(plot.RealOf("TIME"), Is.EqualTo(new[] { 0, 1e-9, 2e-9 }));
        Assert.That(plot.RealOf("v(n1)")[1], Is.EqualTo(Math.Exp(-1)).Within(1e-15));
    }

    [Test]
    public void When_TwoPlotsInOneFile_Expect_Both()
    {
        var plots = RawFileReader.Read(Bytes(AsciiReal + AsciiReal.Replace("Title: rc", "Title: second")), "two.raw");
        Assert.That(plots.Select(p => p.Title), Is.EqualTo(new[] { "rc", "second" }));
        Assert.That(plots[1].Points, Is.EqualTo(3));
    }

    [Test]
    public void When_AsciiComplexPlot_Expect_RealAndImaginaryParts()
    {
        const string text = "Title: ac\nDate: x\nPlotname: AC Analysis\nFlags: complex\nNo. Variables: 2\nNo. Points: 2\n" +
                            "Variables:\n\t0\tfrequency\tfrequency grid=3\n\t1\tv(out)\tvoltage\nValues:\n" +
                            " 0\t1.0e+03,0.0e+00\n\t5.0e-01,-5.0e-01\n 1\t1.0e+04,0.0e+00\n\t1.0e-01,-3.0e-01\n";
        var plot = RawFileReader.Read(Bytes(text), "ac.raw").Single();
        Assert.That(plot.IsComplex, Is.True);
        var v = plot.ComplexOf("v(out)");
        Assert.That(v[0].Real, Is.EqualTo(0.5));
        Assert.That(v[1].Imaginary, Is.EqualTo(-0.3));
        Assert.That(plot.RealOf("frequency"), Is.EqualTo(new[] { 1e3, 1e4 }));
    }

    [Test]
    public void When_BinaryComplexPlot_Expect_PointMajorPairsDecoded()
    {
        var header = "Title: ac\nDate: x\nPlotname: AC Analysis\nFlags: complex\nNo. Variables: 2\nNo. Points: 2\n" +
                     "Variables:\n\t0\tfrequency\tfrequency\n\t1\tv(out)\tvoltage\nBinary:\n";
        double[] values = [1e3, 0, 0.5, -0.5, 1e4, 0, 0.1, -0.3];
        var data = Encoding.ASCII.GetBytes(header).Concat(values.SelectMany(BitConverter.GetBytes)).ToArray();
        var plot = RawFileReader.Read(data, "ac.raw").Single();
        Assert.That(plot.ComplexOf("v(out)")[1], Is.EqualTo(new System.Numerics.Complex(0.1, -0.3)));
        Assert.That(plot.Imaginary![0], Is.EqualTo(new double[] { 0, 0 }));
    }

    [Test]
    public void When_BinaryDataShorterThanAnnounced_Expect_CompletePointsOnly()
    {
        var header = "Title: t\nDate: x\nPlotname: Transient Analysis\nFlags: real\nNo. Variables: 2\nNo. Points: 5\n" +
                     "Variables:\n\t0\ttime\ttime\n\t1\tv(a)\tvoltage\nBinary:\n";
        double[] values = [0, 1, 1e-9, 0.5, 2e-9]; // two whole points and half of a third
        var data = Encoding.ASCII.GetBytes(header).Concat(values.SelectMany(BitConverter.GetBytes)).ToArray();
        var plot = RawFileReader.Read(data, "t.raw").Single();
        Assert.That(plot.Points, Is.EqualTo(2));
        Assert.That(plot.RealOf("v(a)"), Is.EqualTo(new[] { 1, 0.5 }));
    }

    [TestCase("Title: x\nNo. Points: many\n", 2, "No. Points")]
    [TestCase("Title: x\nNo. Variables: 1\nNo. Points: 1\nVariables:\n\tzero\ttime\n", 5, "index name type")]
    [TestCase("Title: x\nthis is not a header\n", 2, "Field: value")]
    [TestCase(AsciiReal_BadValue, 10, "not a number")]
    public void When_RawFileMalformed_Expect_ErrorWithFileAndLine(string text, int line, string reason)
    {
        var error = Assert.Throws<KirchhoffHwException>(() => RawFileReader.Read(Bytes(text), "bad.raw"))!;
        var diagnostic = error.Diagnostics.Single();
        Assert.That(diagnostic.Location, Is.EqualTo(new SourceLocation("bad.raw", line)));
        Assert.That(diagnostic.Message, Does.Contain(reason));
    }

    private const string AsciiReal_BadValue =
        "Title: x\nDate: x\nPlotname: p\nFlags: real\nNo. Variables: 1\nNo. Points: 1\nVariables:\n\t0\ttime\ttime\nValues:\n 0\tzero\n";

    [Test]
    public void When_NgspiceWritesAsciiAndBinary_Expect_SameWaveforms()
    {
        var dir = Directory.CreateTempSubdirectory("kirchhoffhw-raw-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "deck.cir"), Decks.Nonlinear + "\n");
            RunNgspice(dir, "bin.raw", ascii: false);
            RunNgspice(dir, "ascii.raw", ascii: true);
            Assert.That(File.ReadAllText(Path.Combine(dir, "ascii.raw")), Does.Contain("Values:"));
            var binary = RawFileReader.Read(Path.Combine(dir, "bin.raw")).Single();
            var ascii = RawFileReader.Read(Path.Combine(dir, "ascii.raw")).Single();
            Assert.That(ascii.Points, Is.EqualTo(binary.Points));
            // ngspice prints ASCII values with 15 decimals ("%.15e"): equal to about 1e-15 relative.
            for (var v = 0; v < binary.Variables.Count; v++)
                Assert.That(ascii.Real[v], Is.EqualTo(binary.Real[v]).Within(1e-13).Percent, binary.Variables[v].Name);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void RunNgspice(string dir, string raw, bool ascii)
    {
        var start = new ProcessStartInfo("ngspice", ["-b", "deck.cir", "-r", raw])
        {
            WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment["SPICE_ASCIIRAWFILE"] = ascii ? "1" : "0";
        using var process = Process.Start(start)!;
        process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.Zero);
    }
}
