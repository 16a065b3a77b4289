using KirchhoffHw.Model;

namespace KirchhoffHw.Slurm.Tests;

public sealed class QuotingTests
{
    internal static readonly string[] Hostile =
    [
        "", "plain", "with space", "it's", "\"double\"", "$(touch pwned)", "`touch pwned`", "${HOME}", "$HOME",
        "a;b", "a&&b", "a|b", "x > y", "<in", "*", "?", "[ab]", "~", "~root", "{a,b}", "!!", "\\", "\\'", "'\\''",
        "#comment", "tab\there", "new\nline", "cr\rreturn", "-rf", "--option=value", "%A_%a", "ünïcødé ✓", "'", "''",
        "a'b\"c$d`e\\f", "\u0001\u007f", "end\\",
    ];

    [Test]
    public void When_HostileStringsAreShellQuoted_Expect_BashSeesEachExactly()
    {
        var rng = new Random(17);
        var values = Hostile.Concat(Enumerable.Range(0, 200).Select(_ =>
            new string(Enumerable.Range(0, rng.Next(0, 12)).Select(_ => (char)rng.Next(1, 128)).ToArray()))).ToList();
        // One bash for all: print every argument NUL-terminated and compare byte for byte.
        var script = "printf '%s\\0' " + string.Join(' ', values.Select(v => Quoting.Shell(v)));
        var (code, output, error) = Bash.Run(script);
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output.Split('\0')[..^1], Is.EqualTo(values));
    }

    [Test]
    public void When_WordIsPlain_Expect_LeftBare()
    {
        Assert.That(Quoting.Shell("/usr/bin/ngspice"), Is.EqualTo("/usr/bin/ngspice"));
        Assert.That(Quoting.Shell("it's"), Is.EqualTo("'it'\\''s'"));
        Assert.That(Quoting.Shell(""), Is.EqualTo("''"));
    }

    [Test]
    public void When_ValueHoldsNul_Expect_Refused()
    {
        var e = Assert.Throws<KirchhoffHwException>(() => Quoting.Shell("a\0b", "command"))!;
        Assert.That(e.Message, Is.EqualTo("command: a NUL character cannot be passed to a command"));
    }

    [TestCase("debug", "\"debug\"")]
    [TestCase("a b", "\"a b\"")]
    [TestCase("x\"y", "\"x\\\"y\"")]
    [TestCase("back\\slash", "\"back\\\\slash\"")]
    [TestCase("#not-a-comment 'q'", "\"#not-a-comment 'q'\"")]
    public void When_DirectiveValueQuoted_Expect_DoubleQuotedWithEscapes(string value, string expected) =>
        Assert.That(Quoting.Directive(value, "--partition"), Is.EqualTo(expected));

    [TestCase("debug\n#SBATCH --wrap=rm")]
    [TestCase("a\rb")]
    [TestCase("tab\tinside")]
    [TestCase("nul\0")]
    public void When_DirectiveValueHasControlCharacter_Expect_Refused(string value)
    {
        var e = Assert.Throws<KirchhoffHwException>(() => Quoting.Directive(value, "--partition"))!;
        Assert.That(e.Message, Does.StartWith("--partition: control character U+"));
    }

    [Test]
    public void When_LogFolderHasPercentOrBackslash_Expect_PercentDoubledAndBackslashRefused()
    {
        Assert.That(SbatchScript.LogPattern("/data/100% done/"), Is.EqualTo("/data/100%% done/%A_%a.log"));
        var e = Assert.Throws<KirchhoffHwException>(() => SbatchScript.LogPattern("/data/a\\b"))!;
        Assert.That(e.Message, Does.Contain("backslash"));
    }

    [TestCase("account=proj-1", "account", "proj-1", "--account=\"proj-1\"")]
    [TestCase("time=02:00:00", "time", "02:00:00", "--time=\"02:00:00\"")]
    [TestCase("mem=4G", "mem", "4G", "--mem=\"4G\"")]
    [TestCase("comment=a=b", "comment", "a=b", "--comment=\"a=b\"")]
    [TestCase("exclusive", "exclusive", null, "--exclusive")]
    [TestCase("mail-user=x\"y@z", "mail-user", "x\"y@z", "--mail-user=\"x\\\"y@z\"")]
    public void When_SchedulerOptionParsed_Expect_KeyValueAndDirective(string text, string key, string? value, string directive)
    {
        var o = SchedulerOption.Parse(text);
        Assert.That((o.Key, o.Value, o.Directive), Is.EqualTo((key, value, directive)));
    }

    [TestCase("acc ount=x", "is not an sbatch long option name")]
    [TestCase("--account=x", "is not an sbatch long option name")]
    [TestCase("=x", "is not an sbatch long option name")]
    [TestCase("a\n#SBATCH --wrap=x=1", "is not an sbatch long option name")]
    [TestCase("comment=x\n#SBATCH --wrap=touch pwned", "control character U+000A")]
    [TestCase("array=0-1000", "--array is set by the job script itself")]
    [TestCase("output=/tmp/x", "--output is set by the job script itself")]
    [TestCase("wrap=touch pwned", "--wrap is set by the job script itself")]
    [TestCase("partition=x", "the partition has its own setting (--partition)")]
    public void When_SchedulerOptionIsBad_Expect_RefusedWithReason(string text, string reason)
    {
        var e = Assert.Throws<KirchhoffHwException>(() => SchedulerOption.Parse(text))!;
        Assert.That(e.Diagnostics[0].Location.File, Does.StartWith("--scheduler-option"));
        Assert.That(e.Message, Does.Contain(reason));
    }
}
