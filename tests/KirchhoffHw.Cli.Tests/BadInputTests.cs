using System.IO.Compression;
using System.Text;
using KirchhoffHw.Cli;

namespace KirchhoffHw.Cli.Tests;

/// <summary>
/// Every kind of bad input the importer meets, through the command line: one `error:` line naming the file and
/// what is wrong, exit code 2, no stack trace, and an existing output file left untouched.
/// </summary>
public class BadInputTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), $"kh-bad-{Guid.NewGuid():N}"));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static readonly string TwomoonConfig = File.ReadAllText(RepoPaths.Model("twomoon", "config.yaml"));

    private const string Design = "kirchhoffhw: 1\nnodes: 2\nlayers:\n  - t: [0, 1]\n    model: Conductance\n    devices:\n";

    public static IEnumerable<TestCaseData> Cases()
    {
        yield return new TestCaseData("model.pth", (Func<string, string>)(_ => "not a zip"), "model.pth").SetName("non-zip checkpoint");
        yield return new TestCaseData("model.pth", (Func<string, string>)(_ => "os system"), "os system").SetName("pickle naming os.system");
        yield return new TestCaseData("model.pth", (Func<string, string>)(_ => "builtins eval"), "builtins eval").SetName("pickle naming builtins.eval");
        yield return new TestCaseData("model.pth", (Func<string, string>)(_ => "unknown generator"), "_spiral_connect").SetName("unknown generator");
        yield return new TestCaseData("model.pth", (Func<string, string>)(_ => "unknown model"), "ShiftSigmoid").SetName("unknown device model");
        yield return new TestCaseData("d.yaml", (Func<string, string>)(_ => Design + "      - [1, 7, 0.5]\n"), "d.yaml:7").SetName("undefined node");
        yield return new TestCaseData("d.yaml", (Func<string, string>)(_ => Design + "      - [1, 2, .nan]\n"), "d.yaml:7").SetName("NaN parameter");
        yield return new TestCaseData("d.yaml", (Func<string, string>)(_ =>
            "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
            "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\nkirchhoffhw: 1\n"), "d.yaml").SetName("YAML alias bomb");
    }

    [TestCaseSource(nameof(Cases))]
    public void When_The_Input_Is_Bad_Expect_One_Error_Line_Exit_2_And_Nothing_Written(string file, Func<string, string> content, string mentions)
    {
        var path = Path.Combine(_dir, file);
        var kind = content(path);
        switch (kind)
        {
            case "os system" or "builtins eval":
                var (module, name) = kind == "os system" ? ("os", "system") : ("builtins", "eval");
                // PROTO 2, GLOBAL module name, BINUNICODE "ls", TUPLE1, REDUCE, STOP: would call module.name("ls").
                Zip(path, [0x80, 0x02, .. Encoding.ASCII.GetBytes($"c{module}\n{name}\n"), (byte)'X', 2, 0, 0, 0, (byte)'l', (byte)'s', 0x85, (byte)'R', (byte)'.']);
                File.WriteAllText(Path.Combine(_dir, "config.yaml"), TwomoonConfig);
                break;
            case "unknown generator" or "unknown model":
                File.Copy(RepoPaths.Model("twomoon", "model.pth"), path);
                File.WriteAllText(Path.Combine(_dir, "config.yaml"), kind == "unknown generator"
                    ? TwomoonConfig.Replace("name: _fully_connect", "name: _spiral_connect")
                    : TwomoonConfig.Replace("name: ShiftTanh2", "name: ShiftSigmoid"));
                break;
            default:
                File.WriteAllText(path, kind);
                File.WriteAllText(Path.Combine(_dir, "config.yaml"), TwomoonConfig);
                break;
        }
        var output = Path.Combine(_dir, "out.yaml");
        File.WriteAllText(output, "precious");

        var o = new StringWriter();
        var e = new StringWriter();
        int code = App.Run(["import", path, "--output", output], o, e);

        Assert.That(code, Is.EqualTo(2), e.ToString());
        var lines = e.ToString().Trim().Split('\n');
        Assert.That(lines, Has.Length.GreaterThanOrEqualTo(1));
        Assert.That(lines, Has.All.StartsWith("error: "));
        Assert.That(e.ToString(), Does.Contain(mentions).And.Not.Contain("   at "));
        Assert.That(File.ReadAllText(output), Is.EqualTo("precious"));
        Assert.That(Directory.GetFiles(_dir, "*.tmp", SearchOption.AllDirectories), Is.Empty, "no temporary file left behind");
    }

    private static void Zip(string path, byte[] pickle)
    {
        using var zip = new ZipArchive(File.Create(path), ZipArchiveMode.Create);
        using var s = zip.CreateEntry("archive/data.pkl").Open();
        s.Write(pickle);
    }
}
