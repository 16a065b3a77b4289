using KirchhoffHw.Cells;
using KirchhoffHw.Model;

namespace KirchhoffHw.Cells.Tests;

public class TechnologyTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "kh-tech-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static string DefaultText => File.ReadAllText(Technology.DefaultPath(RepoPaths.Root));

    [Test]
    public void When_DefaultLoaded_Expect_PublishedCardNamedAndUnitsConverted()
    {
        var t = Shared.Tech;
        Assert.That(t.Name, Is.EqualTo("ptm45hp"));
        Assert.That(t.Source, Does.Contain("ptm.asu.edu"));
        Assert.That(File.ReadAllText(t.Models.Path), Does.Contain("ptm.asu.edu").And.Contain("level=54"));
        Assert.That((t.Vss, t.Vdd), Is.EqualTo((-0.5, 0.5)));
        Assert.That(t.MinLength, Is.EqualTo(45e-9).Within(1e-15));
        Assert.That(t.CapacitorDensity, Is.EqualTo(10e-3).Within(1e-12), "10 fF/um^2 = 1e-2 F/m^2");
        // (1 um + 2 x 100 nm) x (200 nm + 2 x 140 nm)
        Assert.That(t.TransistorArea(1e-6, 200e-9), Is.EqualTo(1.2e-6 * 480e-9).Within(1e-20));
    }

    [Test]
    public void When_DefaultCardSimulated_Expect_45nmHighPerformanceDrive()
    {
        // BSIM4 defaults a reduced card must override as the PTM cards do (lpe0 = 1.74e-7 m by default) raise the
        // threshold of short devices by hundreds of mV: a 45 nm nMOS then drives 1e-7 A instead of ~1 mA per um
        var deck = Path.Combine(_dir, "drive.cir");
        File.WriteAllText(deck, $"""
            * drive of the default card, W = 1 um, |Vgs| = |Vds| = 1 V
            .include "{Shared.Tech.Models.Path}"
            Vn dn 0 1
            Mn45 dn dn 0 0 ptm45_nmos w=1u l=45n
            Vn2 dn2 0 1
            Mn100 dn2 dn2 0 0 ptm45_nmos w=1u l=100n
            Vp dp 0 -1
            Mp45 dp dp 0 0 ptm45_pmos w=1u l=45n
            .control
            op
            print i(Vn) i(Vn2) i(Vp)
            .endc
            .end
            """);
        using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("ngspice", ["-b", deck]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        double Current(string source) => Math.Abs(double.Parse(System.Text.RegularExpressions.Regex.Match(output, $@"i\({source}\) = (\S+)", System.Text.RegularExpressions.RegexOptions.IgnoreCase).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        double n45 = Current("vn"), n100 = Current("vn2"), p45 = Current("vp");
        TestContext.Out.WriteLine($"nMOS 45 nm {n45:G3} A, 100 nm {n100:G3} A; pMOS 45 nm {p45:G3} A");
        Assert.That(n45, Is.InRange(0.8e-3, 2.5e-3), "nMOS drive per um at 45 nm");
        Assert.That(p45, Is.InRange(0.4e-3, 1.5e-3), "pMOS drive per um at 45 nm");
        Assert.That(n45, Is.GreaterThan(1.5 * n100), "a shorter channel drives more");
    }

    [Test]
    public void When_FieldsAreBad_Expect_EveryProblemWithItsLine()
    {
        var text = DefaultText.Replace("vss: -0.5", "vss: 0.2").Replace("name: ptm45hp", "name: ptm45hp\nbogus: 1").Replace("nmos_width: 100n", "nmos_width: 1km");
        var path = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(path, text);
        File.Copy(Path.Combine(RepoPaths.Root, "designs", "tech", "ptm45hp.lib"), Path.Combine(_dir, "ptm45hp.lib"));
        var e = Assert.Throws<KirchhoffHwException>(() => Technology.Load(path))!;
        var messages = e.Diagnostics.Select(d => d.ToString()).ToList();
        TestContext.Out.WriteLine(string.Join("\n", messages));
        Assert.That(messages, Has.Some.Match(@"bad\.yaml:\d+:\d+: unknown key 'bogus'"));
        Assert.That(messages, Has.Some.Match(@"bad\.yaml:\d+:\d+: supply\.vss must be at or below 0 V"));
        Assert.That(messages, Has.Some.Match(@"bad\.yaml:\d+:\d+: cells\.nmos_width must be in"));
        int line = text.Split('\n').ToList().FindIndex(l => l.StartsWith("bogus")) + 1;
        Assert.That(e.Diagnostics.Any(d => d.Location.Line == line), Is.True, "the unknown key's own line");
    }

    [Test]
    public void When_LibraryMissingOrPathInjected_Expect_Refused()
    {
        var path = Path.Combine(_dir, "t.yaml");
        File.WriteAllText(path, DefaultText.Replace("library: ptm45hp.lib", "library: nowhere.lib"));
        Assert.That(Assert.Throws<KirchhoffHwException>(() => Technology.Load(path))!.Message, Does.Contain("not found"));
        File.WriteAllText(path, DefaultText.Replace("library: ptm45hp.lib", "library: \"x\\\".lib\""));
        Assert.That(Assert.Throws<KirchhoffHwException>(() => Technology.Load(path))!.Message, Does.Contain("plain path"));
        File.WriteAllText(path, DefaultText.Replace("nmos: ptm45_nmos", "nmos: \"n\\n.control\""));
        Assert.That(Assert.Throws<KirchhoffHwException>(() => Technology.Load(path))!.Message, Does.Contain("not a SPICE model name"));
    }

    [Test]
    public void When_UserLibWithCornerSection_Expect_DeckUsesItAndCharacterizationRunsOnIt()
    {
        // a PDK-style library: corners as .lib sections; our card in the tt section, nothing in ss
        var card = File.ReadAllText(Path.Combine(RepoPaths.Root, "designs", "tech", "ptm45hp.lib"));
        File.WriteAllText(Path.Combine(_dir, "my_pdk.lib"), $"* user PDK\n.lib tt\n{card.Replace("ptm45_nmos", "my_n").Replace("ptm45_pmos", "my_p")}\n.endl tt\n.lib ss\n* empty corner\n.endl ss\n");
        var yaml = DefaultText.Replace("library: ptm45hp.lib", "library: my_pdk.lib\n  section: tt").Replace("nmos: ptm45_nmos", "nmos: my_n").Replace("pmos: ptm45_pmos", "pmos: my_p")
            .Replace("corner: typical", "corner: tt");
        var path = Path.Combine(_dir, "mine.yaml");
        File.WriteAllText(path, yaml);
        var tech = Technology.Load(path);
        Assert.That(tech.Models.Path, Is.EqualTo(Path.Combine(_dir, "my_pdk.lib")));
        var cache = Path.Combine(_dir, "cache");
        var c = new Characterizer(tech, cache).Get(CellTopologies.Ota);
        Assert.That(c.Shape[^1], Is.GreaterThan(0.5), "the user's models characterize like the default");
        Assert.That(Directory.GetFiles(Path.Combine(cache, "cells")).Single(), Does.Contain("-tt-"));

        // the ss section has no models: if the section were ignored this would still pass
        var ss = Technology.Load(WriteVariant(yaml.Replace("section: tt", "section: ss")));
        var e = Assert.Throws<KirchhoffHwException>(() => new Characterizer(ss, Path.Combine(_dir, "cache2")).Get(CellTopologies.Ota))!;
        Assert.That(e.Message, Does.Contain("characterizing kh_ota failed"));
    }

    private string WriteVariant(string text)
    {
        var p = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(p, text);
        return p;
    }
}
