using System.Text;
using KirchhoffHw.Import.Tests;

namespace KirchhoffHw.Fuzz.Tests;

/// <summary>One crafted run: what it prepares in its own folder, the command, the exit code it must end with.</summary>
/// <param name="Prepare">Writes the case's files into the folder and returns the command's arguments.</param>
/// <param name="Check">Case-specific damage or injection found after the run, or null.</param>
internal sealed record CorpusCase(string Category, string Name, int Expected, Func<CaseFolder, string[]> Prepare,
    Func<CaseFolder, CliResult, string?>? Check = null, IReadOnlyDictionary<string, string?>? Env = null)
{
    public override string ToString() => $"{Category}/{Name}";
}

/// <summary>The folder a case runs in, and the marker file that any executed payload would create.</summary>
internal sealed class CaseFolder(string dir)
{
    public string Dir { get; } = dir;
    public string Marker => Path.Combine(Dir, "EXECUTED");
    public string P(string name) => Path.Combine(Dir, name);
    public Task? Reader { get; set; }
}

/// <summary>
/// The hostile corpus: crafted pickles, zips, configs, designs, inputs, option values, output paths, simulator
/// faults and report text, of the kinds issue 12 found but not its examples. Every payload that could run
/// code would create the case's marker file; every text payload carries the token EVIL, which may only ever
/// land in a comment.
/// </summary>
internal static class Corpus
{
    public const string Evil = "EVIL";

    private static string Tiny => Path.Combine(RepoPaths.Designs, "tiny.yaml");
    private static string Spiral => Path.Combine(RepoPaths.Designs, "spiral.yaml");

    public static IReadOnlyList<CorpusCase> All() => [.. Pickles(), .. Zips(), .. Configs(), .. Designs(), .. Inputs(), .. Options(), .. Outputs(), .. Simulator(), .. Reports()];

    private static CorpusCase Import(string category, string name, Action<CaseFolder> prepare, int expected = 2, Func<CaseFolder, CliResult, string?>? check = null) =>
        new(category, name, expected, f => { prepare(f); return ["import", f.P("model.pth"), "-o", f.P("out.yaml")]; }, check);

    private static CorpusCase Pickle(string name, Func<CaseFolder, byte[]> pickle, params (string, byte[])[] storages) =>
        Import("pickle", name, f => Crafted.Checkpoint(f.Dir, pickle(f), null, storages));

    private static byte[] Twomoon300 => Fixtures.Floats(Enumerable.Range(0, 900).Select(i => (i % 17) / 17f).ToArray());

    private static IEnumerable<CorpusCase> Pickles()
    {
        yield return Pickle("stack-global subprocess.Popen", f => Crafted.Pickle().Str("subprocess").Str("Popen").Op(0x93).CallsTouch(f.Marker).Stop().Bytes());
        yield return Pickle("global posix.system", f => Crafted.Pickle().Global("posix", "system").CallsTouch(f.Marker).Stop().Bytes());
        yield return Pickle("global torch.load", f => Crafted.Pickle().Global("torch", "load").CallsTouch(f.Marker).Stop().Bytes());
        yield return Pickle("INST os system", f => Crafted.Pickle().Mark().Str($"touch {f.Marker}").Op((byte)'i').Bytes().Concat(Encoding.ASCII.GetBytes("os\nsystem\n.")).ToArray());
        yield return Pickle("OBJ on a refused global", f => Crafted.Pickle().Mark().Global("os", "system").Str($"touch {f.Marker}").Op((byte)'o').Stop().Bytes());
        yield return Pickle("NEWOBJ", f => Crafted.Pickle().Global("collections", "OrderedDict").EmptyTuple().Op(0x81).Stop().Bytes());
        yield return Pickle("EXT1 registry", _ => Crafted.Pickle().Op(0x82).Op(1).Stop().Bytes());
        yield return Pickle("text PERSID", _ => Crafted.Pickle().Op((byte)'P').Bytes().Concat(Encoding.ASCII.GetBytes("x\n.")).ToArray());
        yield return Pickle("BUILD on a tuple", _ => Crafted.Pickle().EmptyTuple().EmptyDict().Op((byte)'b').Stop().Bytes());
        yield return Pickle("LongStorage", _ => Fixtures.StateDictPickle(("w", "LongStorage", "0", 2, 0, [2], [1])), ("0", new byte[16]));
        yield return Pickle("undefined memo", _ => Crafted.Pickle().Op((byte)'h').Op(9).Stop().Bytes());
        yield return Pickle("protocol 6", _ => new PickleBuilder().Op(0x80).Op(6).EmptyDict().Stop().Bytes());
        yield return Pickle("BINUNICODE past the end", _ => Crafted.Pickle().Op((byte)'X').Op(0xf0).Op(0xff).Op(0xff).Op(0xff).Op((byte)'a').Stop().Bytes());
        yield return Pickle("LONG1 of 9 bytes", _ => Crafted.Pickle().Op(0x8a).Op(9).Op(1).Op(1).Op(1).Op(1).Op(1).Op(1).Op(1).Op(1).Op(1).Stop().Bytes());
        yield return Pickle("lists nested 50000 deep", _ =>
        {
            var p = Crafted.Pickle();
            for (int i = 0; i < 50_000; i++) p.Op((byte)']');
            for (int i = 1; i < 50_000; i++) p.Op((byte)'a');
            return p.Stop().Bytes();
        });
        yield return Pickle("OrderedDicts nested 70 deep", _ =>
        {
            var p = Crafted.Pickle();
            for (int i = 0; i < 70; i++) p.Global("collections", "OrderedDict").EmptyTuple().Reduce().Str("m");
            p.Global("collections", "OrderedDict").EmptyTuple().Reduce();
            for (int i = 0; i < 70; i++) p.SetItem();
            return p.Stop().Bytes();
        });
        yield return Pickle("negative offset", _ => Fixtures.WideStateDictPickle(("circuit.layer_list.0.model.param", "FloatStorage", "0", 900, -5, [3, 300], [300, 1])), ("0", Twomoon300));
        yield return Pickle("negative size", _ => Fixtures.WideStateDictPickle(("circuit.layer_list.0.model.param", "FloatStorage", "0", 900, 0, [-3, 300], [300, 1])), ("0", Twomoon300));
        yield return Pickle("stride long.MaxValue", _ => Fixtures.WideStateDictPickle(("circuit.layer_list.0.model.param", "FloatStorage", "0", 900, 0, [2, 300], [long.MaxValue, 1])), ("0", Twomoon300));
        yield return Pickle("storage of 2^40 elements", _ => Fixtures.WideStateDictPickle(("w", "DoubleStorage", "0", 1L << 40, 0, [2], [1])), ("0", new byte[16]));
        yield return Pickle("rows half overlapping", _ => Fixtures.StateDictPickle(
            ("circuit.layer_list.0.model.param", "FloatStorage", "0", 900, 0, [3, 300], [150, 1]),
            ("circuit.layer_list.1.model.param", "FloatStorage", "1", 900, 0, [3, 300], [300, 1])), ("0", Twomoon300), ("1", Twomoon300));
        yield return Pickle("65 dimensions", _ => Fixtures.WideStateDictPickle(("w", "FloatStorage", "0", 1, 0, Enumerable.Repeat(1L, 65).ToArray(), Enumerable.Repeat(1L, 65).ToArray())), ("0", new byte[4]));
        yield return Pickle("STOP on an empty stack", _ => Crafted.Pickle().Stop().Bytes());
        yield return Pickle("two values left", _ => Crafted.Pickle().EmptyDict().EmptyDict().Stop().Bytes());
    }

    private static IEnumerable<CorpusCase> Zips()
    {
        yield return Import("zip", "empty file", f => Crafted.Checkpoint(f.Dir, []));
        yield return Import("zip", "random bytes", f =>
        {
            File.WriteAllText(f.P("config.yaml"), Crafted.TwomoonConfig);
            File.WriteAllBytes(f.P("model.pth"), Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251)).ToArray());
        });
        yield return Import("zip", "local header only", f =>
        {
            File.WriteAllText(f.P("config.yaml"), Crafted.TwomoonConfig);
            File.WriteAllBytes(f.P("model.pth"), [0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0, 8, 0]);
        });
        // 80 MB of pickle would need 5 GB unpickled, past the corpus's 4 GB limit
        yield return Import("zip", "data.pkl inflating to 80 MB", f =>
        {
            File.WriteAllText(f.P("config.yaml"), Crafted.TwomoonConfig);
            Crafted.Zip(f.P("model.pth"), ("archive/data.pkl", Crafted.Zeros(80L << 20)));
        });
        yield return Import("zip", "storage inflating to 16 MB", f =>
        {
            File.WriteAllText(f.P("config.yaml"), Crafted.TwomoonConfig);
            var pickle = Fixtures.StateDictPickle(("circuit.layer_list.0.model.param", "FloatStorage", "0", 900, 0, [3, 300], [300, 1]));
            Crafted.Zip(f.P("model.pth"), ("archive/data.pkl", Crafted.Bytes(pickle)), ("archive/data/0", Crafted.Zeros(16L << 20)));
        });
        yield return Import("zip", "entry shorter than it says", f =>
        {
            File.WriteAllText(f.P("config.yaml"), Crafted.TwomoonConfig);
            Fixtures.WritePth(f.P("model.pth"), Fixtures.StateDictPickle(("circuit.layer_list.0.model.param", "FloatStorage", "0", 900, 0, [3, 300], [300, 1])), ("0", new byte[40]));
        });
        yield return Import("zip", "checkpoint is a folder", f => { Directory.CreateDirectory(f.P("model.pth")); File.WriteAllText(f.P("config.yaml"), Crafted.TwomoonConfig); });
        yield return Import("zip", "checkpoint links to /dev/urandom", f => { Crafted.Link(f.P("model.pth"), "/dev/urandom"); File.WriteAllText(f.P("config.yaml"), Crafted.TwomoonConfig); });
        yield return Import("zip", "truncated twomoon", f =>
        {
            File.WriteAllText(f.P("config.yaml"), Crafted.TwomoonConfig);
            File.WriteAllBytes(f.P("model.pth"), Crafted.TwomoonPth[..(Crafted.TwomoonPth.Length * 3 / 5)]);
        });
        yield return Import("zip", "entries named ../../ (never extracted)", f =>
        {
            File.WriteAllText(f.P("config.yaml"), Crafted.TwomoonConfig);
            using var original = new System.IO.Compression.ZipArchive(new MemoryStream(Crafted.TwomoonPth));
            Crafted.Zip(f.P("model.pth"), original.Entries.Select(e =>
            {
                using var s = e.Open();
                var data = new MemoryStream();
                s.CopyTo(data);
                return ("../../evil/" + e.FullName[(e.FullName.IndexOf('/') + 1)..], Crafted.Bytes(data.ToArray()));
            }).ToArray());
        }, expected: 0, check: (f, _) => Directory.Exists(Path.Combine(f.Dir, "..", "..", "evil")) ? "an entry was extracted outside the folder" : null);
    }

    private static CorpusCase Config(string name, Func<string, string> edit, int expected = 2) =>
        Import("config", name, f => Crafted.TwomoonWith(f.Dir, edit(Crafted.TwomoonConfig)), expected);

    private static CorpusCase ConfigText(string name, string text) => Import("config", name, f => Crafted.TwomoonWith(f.Dir, text));

    private static IEnumerable<CorpusCase> Configs()
    {
        const string Net = "network:\n  model: {name: Conductance}\n  net_struct:\n  - {name: NAME, args: ARGS}\nsimulation:\n  t_end: [0, 1]\n";
        static string Gen(string name, string args) => Net.Replace("NAME", name).Replace("ARGS", args);
        yield return new("config", "python/object/new tag", 2, f =>
        {
            Crafted.TwomoonWith(f.Dir, Crafted.TwomoonConfig.Replace("name: ShiftTanh2", $"name: !!python/object/new:os.system [\"touch {f.Marker}\"]"));
            return ["import", f.P("model.pth"), "-o", f.P("out.yaml")];
        });
        yield return Config("binary tag", c => c.Replace("test_bench: twomoon", "test_bench: !!binary aGVsbG8="));
        yield return Config("set tag", c => c.Replace("test_bench: twomoon", "test_bench: !!set {a, b}"));
        yield return Config("omap tag", c => c.Replace("test_bench: twomoon", "test_bench: !!omap [a: 1]"));
        yield return Config("local tag", c => c.Replace("test_bench: twomoon", "test_bench: !ruby/object:Gem::Installer x"));
        yield return Config("200 nested lists", c => c + "deep: " + new string('[', 200) + new string(']', 200) + "\n");
        yield return Config("anchor and alias", c => c.Replace("test_bench: twomoon", "test_bench: &b twomoon\nagain: *b"));
        yield return ConfigText("num_node beyond long", Gen("_fully_connect", "{num_node: 99999999999999999999}"));
        yield return ConfigText("negative width", Gen("_neighbor_index", "{num_channel: 1, width: -5, height: 4, neighbor_size: 2}"));
        yield return ConfigText("neighbor_size 0", Gen("_neighbor_index", "{num_channel: 1, width: 4, height: 4, neighbor_size: 0}"));
        yield return ConfigText("window of a million channels", Gen("_neighbor_index", "{num_channel: 1000000, width: 2, height: 2, neighbor_size: 2}"));
        yield return ConfigText("kernel_repeat 2^31-1", Gen("_mix_connect", "{num_channel: 1, width: 4, height: 4, neighbor_size: 2, fully_connect_node: 1, kernel_repeat: 2147483647}"));
        yield return ConfigText("fully_connect_node a million", Gen("_mix_connect", "{num_channel: 1, width: 28, height: 28, neighbor_size: 4, fully_connect_node: 1000000, repeat: [1, 1]}"));
        yield return ConfigText("padded window 5000 on a pixel", Gen("_neighbor_index", "{num_channel: 1, width: 1, height: 1, neighbor_size: 5000, padding: true}"));
        yield return ConfigText("repeat with one entry", Gen("_fully_connect", "{num_node: 3, repeat: [1]}"));
        yield return ConfigText("repeat a string", Gen("_fully_connect", "{num_node: 3, repeat: abc}"));
        yield return Config("t_end NaN", c => c.Replace("  - 0.5\n", "  - .nan\n"));
        yield return Config("t_end reversed", c => c.Replace("  - 0.0\n  - 0.5\n  - 1.0\n", "  - 1.0\n  - 0.5\n  - 0.0\n"));
        yield return Config("duplicate key", c => c + "test_bench: again\n");
        yield return Config("model args set", c => c.Replace("    args: {}\n", "    args: {p: 1}\n"));
        yield return Config("projector lastabc", c => c.Replace("  adjoint: true\n", "  adjoint: true\n  projector: lastabc\n"));
        yield return new("config", "config is a FIFO", 2, f =>
        {
            File.WriteAllBytes(f.P("model.pth"), Crafted.TwomoonPth);
            Crafted.Fifo(f.P("cfg.yaml"));
            return ["import", f.P("model.pth"), "--config", f.P("cfg.yaml"), "-o", f.P("out.yaml")];
        });
        yield return new("config", "config is /dev/zero", 2, f =>
        {
            File.WriteAllBytes(f.P("model.pth"), Crafted.TwomoonPth);
            return ["import", f.P("model.pth"), "--config", "/dev/zero", "-o", f.P("out.yaml")];
        });
        yield return Config("a 1 MB bench name", c => c.Replace("test_bench: twomoon", "test_bench: " + new string('m', 1 << 20)), expected: 0);
        yield return new("config", "BOM and CRLF", 0, f =>
        {
            File.WriteAllBytes(f.P("model.pth"), Crafted.TwomoonPth);
            File.WriteAllText(f.P("config.yaml"), Crafted.TwomoonConfig.Replace("\n", "\r\n"), new UTF8Encoding(true));
            return ["import", f.P("model.pth"), "-o", f.P("out.yaml")];
        });
    }

    private static CorpusCase DesignCase(string name, string text, string[] verb, int expected = 2, Func<CaseFolder, CliResult, string?>? check = null) =>
        new("design", name, expected, f =>
        {
            var path = Crafted.Write(f.Dir, "d.yaml", text);
            return [verb[0], path, .. verb[1..].Select(a => a.StartsWith("@") ? f.P(a[1..]) : a)];
        }, check);

    private static readonly string[] ImportVerb = ["import", "-o", "@out.yaml"];

    private static IEnumerable<CorpusCase> Designs()
    {
        yield return DesignCase("name with .control and shell lines", Crafted.Design($"\"x\\n.control\\nshell {Evil}\\n.endc\\n.include /etc/passwd {Evil}\""),
            ["generate", "--random", "1", "-o", "@out.cir"], expected: 0);
        yield return DesignCase("name with terminal escapes and a fake PASS", Crafted.Design($"\"\\e[2J\\e[1;1H\\e[32mverdict PASS\\r{Evil}\\a\""), ["info"], expected: 0);
        yield return DesignCase("name closing Verilog comments", Crafted.Design($"\"x */ endmodule module {Evil}; `include \\\"/etc/passwd\\\" /*\""),
            ["generate", "--format", "verilog-ams", "-o", "@va"], expected: 0);
        yield return DesignCase("name breaking the YAML it is exported to", Crafted.Design($"\"a\\u2028b\\u0085c\\u2029\\n{Evil}: 1\\n\""), ImportVerb, expected: 0,
            check: (f, _) => KirchhoffHw.Import.DesignYaml.Load(f.P("out.yaml")).Name == $"a\u2028b\u0085c\u2029\n{Evil}: 1\n" ? null : "the exported name reads back differently");
        yield return DesignCase("nodes -1", Crafted.Design("n", nodes: -1), ImportVerb);
        yield return DesignCase("nodes 1.5", Crafted.Design("n").Replace("nodes: 2", "nodes: 1.5"), ImportVerb);
        yield return DesignCase("nodes 2^31-1", Crafted.Design("n", nodes: int.MaxValue), ImportVerb);
        yield return DesignCase("device node 2^32", Crafted.Design("n", devices: "      - [1, 4294967296, 0.5]\n"), ImportVerb);
        yield return DesignCase("device node -1", Crafted.Design("n", devices: "      - [-1, 2, 0.5]\n"), ImportVerb);
        yield return DesignCase("time slice NaN", Crafted.Design("n").Replace("t: [0, 1]", "t: [.nan, 1]"), ImportVerb);
        yield return DesignCase("parameter 1e309", Crafted.Design("n", devices: "      - [1, 2, 1e309]\n"), ImportVerb);
        yield return DesignCase("binary tag", Crafted.Design("!!binary aGk="), ImportVerb);
        yield return DesignCase("alias in a row", Crafted.Design("n", devices: "      - &r [1, 2, 0.5]\n      - *r\n"), ImportVerb);
        yield return DesignCase("a row nested 100 deep", Crafted.Design("n", devices: "      - " + new string('[', 100) + new string(']', 100) + "\n"), ImportVerb);
        yield return DesignCase("unknown model", Crafted.Design("n").Replace("Conductance", "__import__('os').system('touch EXECUTED')"), ImportVerb);
        yield return DesignCase("readout last99999999999", Crafted.Design("n", extra: "readout: last99999999999\n"), ImportVerb);
        yield return DesignCase("negative capacitance", Crafted.Design("n", extra: "units: {capacitance: -1}\n"), ImportVerb);
        yield return DesignCase("duplicate t", Crafted.Design("n").Replace("    model: Conductance", "    t: [0, 2]\n    model: Conductance"), ImportVerb);
        yield return DesignCase("500 layers", "kirchhoffhw: 1\nname: many\nnodes: 2\nlayers:\n" +
            string.Concat(Enumerable.Range(0, 500).Select(i => $"  - t: [{i}, {i + 1}]\n    model: Conductance\n    devices:\n      - [1, 2, 0.01]\n")), ["run", "--random", "2"], expected: 0);
        yield return new("design", "BOM and CRLF", 0, f =>
        {
            File.WriteAllText(f.P("d.yaml"), Crafted.Tiny.Replace("\n", "\r\n"), new UTF8Encoding(true));
            return ["info", f.P("d.yaml")];
        });
        yield return new("design", "design links to /dev/zero", 2, f => { Crafted.Link(f.P("d.yaml"), "/dev/zero"); return ["info", f.P("d.yaml")]; });
        yield return new("design", "design is a FIFO", 2, f => { Crafted.Fifo(f.P("d.yaml")); return ["run", f.P("d.yaml"), "--random", "1"]; });
    }

    private static CorpusCase Inputs(string name, string file, Func<CaseFolder, string> prepare, int expected = 2, Func<CaseFolder, CliResult, string?>? check = null) =>
        new("inputs", name, expected, f => { prepare(f); return ["run", Tiny, "--inputs", f.P(file), "-o", f.P("out.json")]; }, check);

    private static CorpusCase InputText(string name, string text, int expected = 2) => Inputs(name, "in.txt", f => Crafted.Write(f.Dir, "in.txt", text), expected);

    private static IEnumerable<CorpusCase> Inputs()
    {
        yield return InputText("text in the third column", "0.1,0.2,xyz\n");
        yield return InputText("nan", "nan,1,2\n");
        yield return InputText("1e400", "1e400,0,0\n");
        yield return InputText("trailing comma", "1,2,\n");
        yield return InputText("header only", "a,b,c\n");
        yield return InputText("JSON nested 100 deep", new string('[', 100) + new string(']', 100));
        yield return InputText("JSON 1e400", "[[1e400, 0, 0]]");
        yield return InputText("JSON cases as an object", "{\"cases\": {\"input\": [1, 2, 3]}}");
        yield return InputText("JSON strings", "[[\"1\", 2, 3]]");
        yield return InputText("NUL bytes", "1,\0,3\n");
        yield return InputText("row wider than the design", "1,2,3,4,5\n");
        yield return InputText("a short row", "0.5\n", expected: 0);
        yield return Inputs("inputs are a folder", "in", f => Directory.CreateDirectory(f.P("in")).FullName);
        yield return Inputs("inputs link to /dev/zero", "in", f => { Crafted.Link(f.P("in"), "/dev/zero"); return ""; });
        yield return Inputs("inputs are a FIFO", "in", f => { Crafted.Fifo(f.P("in")); return ""; });
        yield return Inputs("20000 rows", "in.csv", f => Crafted.Write(f.Dir, "in.csv", string.Concat(Enumerable.Range(0, 20_000).Select(i => $"{i % 7 * 0.1},{i % 5 * 0.1},{i % 3 * 0.1}\n"))), expected: 0);
        yield return Inputs("UTF-16 with BOM", "in.csv", f => { File.WriteAllText(f.P("in.csv"), "x,y,z\n0.1,0.2,0.3\n", Encoding.Unicode); return ""; }, expected: 0);
    }

    private static CorpusCase Option(string name, params string[] args) => new("options", name, 2, f => [.. args.Select(a => a.StartsWith("@") ? f.P(a[1..]) : a)]);

    private static IEnumerable<CorpusCase> Options()
    {
        yield return Option("run --rtol NaN", "run", Tiny, "--random", "1", "--rtol", "NaN");
        yield return Option("run --atol Infinity", "run", Tiny, "--random", "1", "--atol", "Infinity");
        yield return Option("run --step 0", "run", Tiny, "--random", "1", "--method", "rk4", "--step", "0");
        yield return Option("run --method euler", "run", Tiny, "--random", "1", "--method", "euler");
        yield return Option("run --random 0", "run", Tiny, "--random", "0");
        yield return Option("run --random -3", "run", Tiny, "--random", "-3");
        yield return Option("run --random beyond int", "run", Tiny, "--random", "99999999999");
        yield return Option("run --random 2^31-1", "run", Tiny, "--random", "2147483647");
        yield return Option("run --seed abc", "run", Tiny, "--random", "1", "--seed", "abc");
        yield return Option("verify --timeout -1", "verify", Tiny, "--random", "1", "--timeout", "-1", "-o", "@out.json");
        yield return Option("verify --timeout 1e300", "verify", Tiny, "--random", "1", "--timeout", "1e300", "-o", "@out.json");
        yield return Option("verify --jobs 0", "verify", Tiny, "--random", "1", "--jobs", "0", "-o", "@out.json");
        yield return Option("verify --jobs -5", "verify", Tiny, "--random", "1", "--jobs", "-5", "-o", "@out.json");
        yield return Option("verify --tolerance -Infinity", "verify", Tiny, "--random", "1", "--tolerance", "-Infinity", "-o", "@out.json");
        yield return Option("verify --reference-tol -1", "verify", Tiny, "--random", "1", "--reference-tol", "-1", "-o", "@out.json");
        yield return Option("flow --jobs 0", "flow", Tiny, "--jobs", "0", "--out", "@flow");
        yield return Option("generate --case -1", "generate", Tiny, "--random", "1", "--case", "-1", "-o", "@out.cir");
        yield return Option("generate --case 5 of 1", "generate", Tiny, "--random", "1", "--case", "5", "-o", "@out.cir");
        yield return Option("generate --capacitance 1e999", "generate", Tiny, "--capacitance", "1e999", "-o", "@out.cir");
        yield return Option("generate --time-unit 0", "generate", Tiny, "--time-unit", "0", "-o", "@out.cir");
        yield return Option("generate --voltage-scale abc", "generate", Tiny, "--voltage-scale", "abc", "-o", "@out.cir");
        yield return Option("generate --max-step 2", "generate", Tiny, "--max-step", "2", "-o", "@out.cir");
        yield return Option("generate --max-step NaN", "generate", Tiny, "--max-step", "NaN", "-o", "@out.cir");
        yield return Option("generate --spice-option .control", "generate", Tiny, "--spice-option", ".control=1", "-o", "@out.cir");
        yield return Option("generate --spice-option with a shell line", "generate", Tiny, "--spice-option", $"reltol=1e-5\nshell touch {Evil}", "-o", "@out.cir");
        yield return Option("generate --spice-option key with a newline", "generate", Tiny, "--spice-option", "reltol\n.control=1", "-o", "@out.cir");
        yield return Option("generate --style weird", "generate", Tiny, "--style", "weird", "-o", "@out.cir");
        yield return Option("generate --fidelity bogus", "generate", Tiny, "--fidelity", "bogus", "-o", "@out.cir");
        yield return Option("generate --format bogus", "generate", Tiny, "--format", "bogus", "-o", "@out.cir");
        yield return Option("tolerance --strengths NaN", "tolerance", Tiny, "--random", "2", "--strengths", "NaN,1");
        yield return Option("tolerance --imperfections with an unknown one", "tolerance", Tiny, "--random", "2", "--imperfections", "gain,\u001b[2Jwarp");
        yield return Option("flow --fidelity list with an unknown one", "flow", Tiny, "--fidelity", "ideal,<script>", "--out", "@flow");
        yield return Option("flow --fidelity of commas only", "flow", Tiny, "--fidelity", ",,", "--out", "@flow");
        yield return Option("verify --backend unknown", "verify", Tiny, "--random", "1", "--backend", "quantum\nverdict PASS", "-o", "@out.json");
        yield return Option("info -o an existing folder", "info", Tiny, "-o", "@");
        yield return Option("report --out an existing file", "report", Tiny, "--random", "1", "--out", "@out.json");
        yield return Option("an unknown verb", "frobnicate", Tiny);
        yield return Option("no arguments");
        yield return Option("an unknown option", "info", Tiny, "--colour");
        yield return new("options", "--help", 0, _ => ["run", "--help"]);
    }

    private static CorpusCase Output(string name, int expected, Func<CaseFolder, string> target, Func<CaseFolder, CliResult, string?>? check = null) =>
        new("output", name, expected, f => ["run", Tiny, "--random", "1", "-o", target(f)], check);

    private static IEnumerable<CorpusCase> Outputs()
    {
        yield return Output("an existing folder", 2, f => Directory.CreateDirectory(f.P("folder")).FullName);
        yield return Output("under a regular file", 2, f => Path.Combine(Crafted.Write(f.Dir, "file", "precious\n"), "out.json"),
            (f, _) => File.ReadAllText(f.P("file")) == "precious\n" ? null : "the regular file was changed");
        yield return Output("a folder sysfs refuses", 2, _ => "/sys/kernel/kirchhoffhw-out.json");
        yield return Output("procfs file", 2, _ => "/proc/version");
        yield return Output("an empty path", 2, _ => "");
        yield return Output("a name with escapes in a refused folder", 2, _ => "/sys/kernel/\u001b[2Jout\nPASS.json");
        yield return Output("a FIFO with a reader", 0, f =>
        {
            Crafted.Fifo(f.P("pipe"));
            f.Reader = Task.Run(() => File.ReadAllText(f.P("pipe")));
            return f.P("pipe");
        }, (f, _) =>
        {
            if (!f.Reader!.Wait(Cli.HangLimit)) return "nothing read from the FIFO";
            var text = ((Task<string>)f.Reader).Result;
            return !text.StartsWith("{\"design\"") ? "the FIFO did not carry the output"
                : Model.IO.FileKinds.Of(f.P("pipe"), followLinks: false) != Model.IO.FileKind.Fifo ? "the FIFO was replaced" : null;
        });
        yield return Output("/dev/null", 0, _ => "/dev/null",
            (_, _) => Model.IO.FileKinds.Of("/dev/null", followLinks: false) == Model.IO.FileKind.CharacterDevice ? null : "/dev/null is no longer a device");
        yield return Output("/dev/stdout", 0, _ => "/dev/stdout", (_, r) =>
            !r.Out.Contains("{\"design\":\"rc-ladder\"") ? "the output did not reach stdout"
            : Model.IO.FileKinds.Of("/dev/stdout", followLinks: false) != Model.IO.FileKind.SymbolicLink ? "/dev/stdout was replaced" : null);
        yield return Output("/dev/stdin", 2, _ => "/dev/stdin",
            (_, _) => Model.IO.FileKinds.Of("/dev/stdin", followLinks: false) == Model.IO.FileKind.SymbolicLink ? null : "/dev/stdin was replaced");
        yield return Output("a new file under /dev", 2, f => $"/dev/kirchhoffhw-{Path.GetFileName(f.Dir)}-{Guid.NewGuid():N}.json",
            (_, _) => Directory.EnumerateFiles("/dev", "kirchhoffhw-*").Any() ? "a file was created under /dev" : null);
        yield return Output("/dev/shm is an ordinary folder", 0, f => $"/dev/shm/kirchhoffhw-{Guid.NewGuid():N}.json", (_, _) =>
        {
            var made = Directory.EnumerateFiles("/dev/shm", "kirchhoffhw-*.json").ToList();
            made.ForEach(File.Delete);
            return made.Count == 1 ? null : $"{made.Count} outputs in /dev/shm";
        });
        yield return Output("a link to a file outside", 0, f =>
        {
            Directory.CreateDirectory(f.P("outside"));
            File.WriteAllText(f.P("outside/victim"), "precious\n");
            Crafted.Link(f.P("link.json"), f.P("outside/victim"));
            return f.P("link.json");
        }, (f, _) => File.ReadAllText(f.P("outside/victim")) != "precious\n" ? "the link's target was written" : null);
        yield return Output("a dangling link", 0, f => { Crafted.Link(f.P("dangling.json"), f.P("nowhere/created")); return f.P("dangling.json"); },
            (f, _) => Directory.Exists(f.P("nowhere")) ? "the link's target was created" : null);
        yield return Output("a stale temporary beside the output", 0, f =>
        {
            var stale = f.P($".out.json.999999999.{Guid.NewGuid():N}.tmp");
            File.WriteAllText(stale, "half");
            File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddDays(-1));
            return f.P("out.json");
        });
        yield return new("output", "flow --out is a file", 2, f => ["flow", Tiny, "--no-verify", "--out", Crafted.Write(f.Dir, "file", "precious\n")],
            (f, _) => File.ReadAllText(f.P("file")) == "precious\n" ? null : "the file was changed");
        yield return new("output", "flow plots/ links outside", 2, f =>
        {
            Directory.CreateDirectory(f.P("flow"));
            Directory.CreateDirectory(f.P("outside"));
            Crafted.Link(f.P("flow/plots"), f.P("outside"));
            return ["flow", Tiny, "--no-verify", "--out", f.P("flow")];
        }, (f, _) => Directory.EnumerateFileSystemEntries(f.P("outside")).Any() ? "files were written through the link" : null);
        yield return new("output", "flow --out links to a folder", 2, f =>
        {
            Directory.CreateDirectory(f.P("outside"));
            Crafted.Link(f.P("flow"), f.P("outside"));
            return ["flow", Tiny, "--no-verify", "--out", f.P("flow")];
        }, (f, _) => Directory.EnumerateFileSystemEntries(f.P("outside")).Any() ? "files were written through the link" : null);
        yield return new("output", "report plots/ is a file", 2, f =>
        {
            Directory.CreateDirectory(f.P("rep"));
            File.WriteAllText(f.P("rep/plots"), "precious\n");
            return ["report", Tiny, "--out", f.P("rep")];
        }, (f, _) => File.ReadAllText(f.P("rep/plots")) == "precious\n" ? null : "plots was changed");
        yield return new("output", "verilog-ams into a file", 2, f => ["generate", Tiny, "--format", "verilog-ams", "-o", Crafted.Write(f.Dir, "file", "precious\n")],
            (f, _) => File.ReadAllText(f.P("file")) == "precious\n" ? null : "the file was changed");
        yield return new("output", "journal links to a file outside", 2, f =>
        {
            File.WriteAllText(f.P("victim"), "precious\n");
            Crafted.Link(f.P("out.json.journal.jsonl"), f.P("victim"));
            return ["verify", Tiny, "--random", "1", "-o", f.P("out.json")];
        }, (f, _) => File.ReadAllText(f.P("victim")) == "precious\n" ? null : "the journal's link target grew");
        yield return new("output", "journal is a folder", 2, f =>
        {
            Directory.CreateDirectory(f.P("out.json.journal.jsonl"));
            return ["verify", Tiny, "--random", "1", "-o", f.P("out.json")];
        });
    }

    private static IEnumerable<CorpusCase> Simulator()
    {
        yield return new("simulator", "ngspice not on PATH", 2, f => ["verify", Tiny, "--random", "1", "--backend", "batch", "-o", f.P("out.json")],
            (_, r) => r.Err.Contains("apt-get install ngspice") ? null : "no install hint",
            new Dictionary<string, string?> { ["PATH"] = "/nonexistent" });
        yield return new("simulator", "a design that diverges", 1, f =>
            ["verify", Crafted.Write(f.Dir, "runaway.yaml", "kirchhoffhw: 1\nname: runaway\nnodes: 1\nlayers:\n  - t: [0, 1]\n    model: ShiftRelu2\n    devices:\n      - [0, 1, 0, 1000, 0]\n"),
             "--inputs", Crafted.Write(f.Dir, "in.csv", "1\n0\n"), "-o", f.P("verdict.json")],
            (f, _) => File.Exists(f.P("verdict.json")) ? null : "no verdict for the failed run");
        // a nanosecond, not a millisecond: on an idle machine spiral's ideal deck loads and runs within a millisecond
        yield return new("simulator", "every case times out", 1, f => ["verify", Spiral, "--random", "1", "--timeout", "1e-9", "-o", f.P("verdict.json")]);
    }

    private static IEnumerable<CorpusCase> Reports()
    {
        yield return new("report", "HTML and script in the design name", 0, f =>
            ["report", Crafted.Write(f.Dir, "d.yaml", Crafted.Design($"\"<script>{Evil}</script><img src=x onerror={Evil}> | cell\"")), "--random", "1", "--out", f.P("rep")]);
        yield return new("report", "Markdown links and images in the name", 0, f =>
            ["flow", Crafted.Write(f.Dir, "d.yaml", Crafted.Design($"\"[{Evil}](javascript:alert(1)) ![{Evil}](http://x/p.png) *b* `c\"")), "--no-verify", "--out", f.P("flow")]);
    }
}
