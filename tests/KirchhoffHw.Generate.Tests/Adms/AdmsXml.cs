using System.Diagnostics;
using System.Globalization;

namespace KirchhoffHw.Generate.Tests.Adms;

/// <summary>One branch contribution as ADMS parsed it: `&lt;access&gt;(pnode, nnode) &lt;+ tree`.</summary>
internal sealed record Contribution(string Access, string PNode, string NNode, SExpr Tree);

/// <summary>One module instance as ADMS parsed it: port -> net, parameter -> value expression.</summary>
internal sealed record Instance(string Module, string Name, Dictionary<string, string> Terminals, Dictionary<string, SExpr> Parameters);

/// <summary>What ADMS read: per module, its contributions and the instances it contains.</summary>
internal sealed record AdmsParse(Dictionary<string, List<Contribution>> Contributions, Dictionary<string, List<Instance>> Instances);

/// <summary>
/// Runs ADMS (`admsXml`) on Verilog-A text with contributions.xml, an admst script that prints every module's
/// contributions as prefix expressions built from ADMS's own parse tree. A missing admsXml fails the test.
/// </summary>
internal static class AdmsXml
{
    public static string Script => Path.Combine(RepoPaths.Root, "tests", "KirchhoffHw.Generate.Tests", "Adms", "contributions.xml");

    private static readonly Lazy<string?> Executable = new(() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, "admsXml")).FirstOrDefault(File.Exists));

    /// <summary>Module name -> its contributions, in source order. Fails the test if ADMS rejects the text.</summary>
    public static Dictionary<string, List<Contribution>> Parse(string verilogA) => Parse([("module.va", verilogA)]).Contributions;

    /// <summary>Parses several files as one compilation unit (a wrapper `include`s them in order).</summary>
    public static AdmsParse Parse(IReadOnlyList<(string Name, string Text)> files)
    {
        var exe = Executable.Value;
        if (exe is null) Assert.Fail("admsXml not found on PATH: install ADMS (apt-get install adms) to run the Verilog-A tests");
        var dir = Directory.CreateTempSubdirectory("kh-adms-").FullName;
        try
        {
            foreach (var (name, text) in files) File.WriteAllText(Path.Combine(dir, name), text);
            File.WriteAllLines(Path.Combine(dir, "main.va"), files.Select(f => $"`include \"{f.Name}\""));
            // ADMS writes .adms.implicit.xml and friends into its working directory, so it runs in a scratch one.
            var psi = new ProcessStartInfo(exe!) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "main.va", "-e", Script }) psi.ArgumentList.Add(a);
            using var process = Process.Start(psi)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(30_000)) { process.Kill(); Assert.Fail("admsXml did not finish within 30 s"); }
            var log = stdout + stderr.Result;
            Assert.That(process.ExitCode, Is.Zero, "admsXml rejected the Verilog-A:\n" + log);
            Assert.That(log, Does.Not.Contain("[error").And.Not.Contain("[fatal").And.Not.Contain("[warning"), log);
            return Read(File.ReadAllLines(Path.Combine(dir, "contributions.txt")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static AdmsParse Read(string[] lines)
    {
        var result = new AdmsParse([], []);
        string? module = null;
        foreach (var line in lines)
        {
            var words = line.Split(' ', 5);
            if (words[0] == "module")
            {
                module = words[1];
                result.Contributions[module] = [];
                result.Instances[module] = [];
            }
            else if (words[0] == "contribution" && module is not null)
                result.Contributions[module].Add(new Contribution(words[1], words[2], words[3], SExpr.Parse(words[4])));
            else if (words[0] == "instance" && module is not null)
                result.Instances[module].Add(ReadInstance(line));
            else Assert.Fail($"unexpected line from the admst script: {line}");
        }
        return result;
    }

    /// <summary>`instance &lt;module&gt; &lt;name&gt; port=net ... parameter=(tree) ...`; ports come first, parameters are trees.</summary>
    private static Instance ReadInstance(string line)
    {
        var head = line.Split(' ', 4);
        var instance = new Instance(head[1], head[2], [], []);
        var rest = head.Length > 3 ? head[3] : "";
        int i = 0;
        while (i < rest.Length)
        {
            int eq = rest.IndexOf('=', i);
            var key = rest[i..eq];
            i = eq + 1;
            if (rest[i] == '(') instance.Parameters[key] = SExpr.Next(rest, ref i);
            else
            {
                int end = rest.IndexOf(' ', i) is var sp and >= 0 ? sp : rest.Length;
                instance.Terminals[key] = rest[i..end];
                i = end;
            }
            if (i < rest.Length && rest[i] == ' ') i++;
        }
        return instance;
    }
}

/// <summary>A prefix expression printed by contributions.xml, and a small evaluator for it.</summary>
internal sealed record SExpr(string Atom, IReadOnlyList<SExpr> Items)
{
    public static SExpr Parse(string text)
    {
        int i = 0;
        var e = Next(text, ref i);
        Assert.That(i, Is.EqualTo(text.Length), $"trailing text in {text}");
        return e;
    }

    public static SExpr Next(string s, ref int i)
    {
        if (s[i] == '(')
        {
            i++;
            var items = new List<SExpr>();
            while (s[i] != ')')
            {
                items.Add(Next(s, ref i));
                if (s[i] == ' ') i++;
            }
            i++;
            return new SExpr("", items);
        }
        int start = i;
        while (i < s.Length && s[i] is not (' ' or ')')) i++;
        return new SExpr(s[start..i], []);
    }

    public override string ToString() => Items.Count == 0 ? Atom : "(" + string.Join(" ", Items) + ")";

    /// <summary>Node voltages by node name (ADMS writes V(x) as V(x, GND)), variables (parameters) by name.</summary>
    public double Evaluate(IReadOnlyDictionary<string, double> voltages, IReadOnlyDictionary<string, double> variables)
    {
        double Arg(int k) => Items[k].Evaluate(voltages, variables);
        var head = Items[0].Atom;
        return head switch
        {
            "number" => double.Parse(Items[1].Atom, NumberStyles.Float, CultureInfo.InvariantCulture) * Scale(Items[2].Atom),
            "variable" => variables[Items[1].Atom],
            "probe" when Items[1].Atom == "V" => voltages[Items[2].Atom] - (Items[3].Atom == "GND" ? 0 : voltages[Items[3].Atom]),
            "minus" => -Arg(1),
            "plus" => Arg(1),
            "addp" => Arg(1) + Arg(2),
            "addm" => Arg(1) - Arg(2),
            "multtime" => Arg(1) * Arg(2),
            "multdiv" => Arg(1) / Arg(2),
            "gt" => Arg(1) > Arg(2) ? 1 : 0,
            "conditional" => Arg(1) != 0 ? Arg(2) : Arg(3),
            "call" => Items[1].Atom switch
            {
                "tanh" => Math.Tanh(Arg(2)),
                "max" => Math.Max(Arg(2), Arg(3)),
                var f => throw new AssertionException($"function {f} is not known to the test evaluator"),
            },
            _ => throw new AssertionException($"ADMS node {this} is not known to the test evaluator"),
        };
    }

    private static double Scale(string unit) => unit switch
    {
        "1" => 1,
        _ => throw new AssertionException($"number with SI scaling unit {unit}: the generator must never write one"),
    };
}
