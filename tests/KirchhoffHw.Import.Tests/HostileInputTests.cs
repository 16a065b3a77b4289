using System.IO.Compression;
using System.Text;
using KirchhoffHw.Import.AuthorsConfig;
using KirchhoffHw.Import.Cases;
using KirchhoffHw.Import.Pth;
using KirchhoffHw.Model;

namespace KirchhoffHw.Import.Tests;

/// <summary>
/// The reproductions of issue 12 that reach the importer, each with its category: crafted pickles and zips,
/// sizes and index arithmetic that overflow or exceed memory, non-core YAML tags, names YAML cannot read back,
/// CSV rows that are silently misread. Every one ends in a KirchhoffHwException naming the file and the problem.
/// </summary>
public class HostileInputTests
{
    private string _dir = "";

    [SetUp] public void SetUp() => _dir = Fixtures.TempDir();
    [TearDown] public void TearDown() => Directory.Delete(_dir, true);

    private string P(string name) => Path.Combine(_dir, name);

    private string Pth(byte[] pickle, params (string Key, byte[] Data)[] storages) => Fixtures.WritePth(P("model.pth"), pickle, storages);

    private static KirchhoffHwException Refused(TestDelegate action) => Assert.Throws<KirchhoffHwException>(action)!;

    // ---- crashes: recursion, geometry arithmetic, sizes ----

    [Test]
    public void When_DictsAreNested40000Deep_Expect_RefusalNamingTheNestingLimit()
    {
        var p = new PickleBuilder().Proto().EmptyDict();
        for (int i = 0; i < 40_000; i++) p.Str("k").EmptyDict();
        for (int i = 0; i < 40_000; i++) p.SetItem();
        var pth = Pth(p.Stop().Bytes());
        var ex = Refused(() => PthReader.Read(pth));
        Assert.That(ex.Message, Does.Contain(pth).And.Contain($"nested more than {PthReader.MaxNesting} deep"));
    }

    [TestCase(1L << 62, TestName = "When_StrideIsNear2To62_Expect_RefusalNotOverflow")]
    [TestCase(long.MaxValue / 3, TestName = "When_StrideTimesSizeWrapsAround_Expect_RefusalNotOverflow")]
    public void StrideOverflow(long stride)
    {
        var pickle = Fixtures.WideStateDictPickle(("w", "FloatStorage", "0", 6, 0, [3, 2], [stride, 1]));
        var pth = Pth(pickle, ("0", Fixtures.Floats(0, 1, 2, 3, 4, 5)));
        var ex = Refused(() => PthReader.Read(pth));
        Assert.That(ex.Message, Does.Contain(pth).And.Contain("storage '0' is too short"));
    }

    [Test]
    public void When_SizeIs2To31WithStride0_Expect_RefusalNotOverflow()
    {
        var pickle = Fixtures.WideStateDictPickle(("w", "FloatStorage", "0", 1, 0, [1L << 31], [0]));
        var pth = Pth(pickle, ("0", Fixtures.Floats(7)));
        var ex = Refused(() => PthReader.Read(pth));
        Assert.That(ex.Message, Does.Contain(pth).And.Contain("tensor sizes must be integers in [0, 2147483647]"));
    }

    [Test]
    public void When_TensorWouldExceedTheMemoryLimit_Expect_RefusalWithBothNumbers()
    {
        // 2^30 x 2^30 elements of one float repeated (stride 0): 8 EB as doubles.
        var pickle = Fixtures.WideStateDictPickle(("w", "FloatStorage", "0", 1, 0, [1L << 30, 1L << 30], [0, 0]));
        var pth = Pth(pickle, ("0", Fixtures.Floats(7)));
        var ex = Refused(() => PthReader.Read(pth));
        Assert.That(ex.Message, Does.Contain("1152921504606846976 elements").And.Contain("memory, more than the").And.Contain(MemoryLimit.Format(MemoryLimit.Bytes)));
    }

    [Test]
    public void When_NeighborIndexIs65536Wide_Expect_RefusalNotOverflow()
    {
        var ex = Assert.Throws<ArgumentException>(() => TopologyGenerators.NeighborIndex(1, 65536, 65536, 65536))!;
        Assert.That(ex.Message, Does.Contain("4294967296 nodes are more than node ids can number"));
        var config = Config("_neighbor_index", "{num_channel: 65536, width: 65536, height: 65536, neighbor_size: 65536}");
        Assert.That(Refused(() => AuthorsConfigReader.Load(config)).Message, Does.Contain($"{config}:").And.Contain("_neighbor_index:"));
    }

    [TestCase("_fully_connect", "{num_node: 1000000000}", "a design of 999,999,999 nodes would need about")]
    [TestCase("_fully_connect", "{num_node: 3, repeat: [2000000000, 0]}", "makes 1.2E+10 devices, more than one layer can hold")]
    [TestCase("_simple_connect", "{num_node: 2147483647, include_gnd: false}", "nodes are more than node ids can number")]
    [TestCase("_mix_connect", "{num_channel: 1, width: 28, height: 28, neighbor_size: 4, fully_connect_node: 2147483000, repeat: [1, 1]}", "_mix_connect with fully_connect_node = 2147483000")]
    [TestCase("_neighbor_index", "{num_channel: 1, width: 28, height: 28, neighbor_size: 4, parallel: 40}", "parallel 40")]
    public void When_GeneratorArgumentsAskForTooMuch_Expect_LocatedRefusalWithTheNumbers(string generator, string args, string mentions)
    {
        var config = Config(generator, args);
        var ex = Refused(() => AuthorsConfigReader.Load(config));
        Assert.That(ex.Message, Does.Contain($"{config}:").And.Contain(mentions));
    }

    [Test]
    public void When_DesignHas2e9Nodes_Expect_RefusalAtTheNodesLineWithTheLimit()
    {
        var ex = Refused(() => DesignYaml.Parse("kirchhoffhw: 1\nnodes: 2000000000\nlayers:\n  - t: [0, 1]\n    model: Conductance\n    devices: []\n", "big.yaml"));
        Assert.That(ex.Message, Does.Contain("big.yaml:2:8").And.Contain("2,000,000,000 nodes").And.Contain("more than the"));
    }

    // ---- damaged files: names YAML could not read back ----

    [TestCase("a\u2028b", TestName = "When_NameHasLineSeparator_Expect_ExportedYamlReadsBackTheSameName")]
    [TestCase("a\u2029b")]
    [TestCase("a\u0085b")]
    [TestCase("\u001b[2J\u001b[1;32mPASS\r\n")]
    [TestCase("\ufeffbom \u007f del \u0090 c1")]
    [TestCase("W\n", TestName = "When_NameEndsInANewline_Expect_ItQuotedNotTakenAsAPlainWord")]
    [TestCase("true")]
    [TestCase("123")]
    [TestCase("")]
    public void When_NameIsAwkward_Expect_ExportThenImportGivesItBack(string name)
    {
        var design = new Design(name, 1, [new Layer(0, 1, Model.Devices.DeviceModels.Find("Conductance")!, new EdgeList([1], [0]), [0.5])], new InputMap(1), Readout.AllNodes);
        var path = P("d.yaml");
        DesignYaml.Save(design, path);
        Assert.That(DesignYaml.Load(path).Name, Is.EqualTo(name));
    }

    // ---- other defects ----

    [Test]
    public void When_RowsOfAParameterTensorAliasRowZero_Expect_ImportRefusesTheOverlappingView()
    {
        // The authors' twomoon: (3, 300) parameters per layer; here rows 1 and 2 read row 0 again (stride 0 on rows).
        var config = File.ReadAllText(Fixtures.Model("twomoon", "config.yaml"));
        File.WriteAllText(P("config.yaml"), config);
        var floats = Fixtures.Floats(Enumerable.Range(0, 300).Select(i => i / 300f).ToArray());
        var pickle = Fixtures.StateDictPickle(
            ("circuit.layer_list.0.model.param", "FloatStorage", "0", 300, 0, [3, 300], [0, 1]),
            ("circuit.layer_list.1.model.param", "FloatStorage", "1", 300, 0, [3, 300], [0, 1]));
        var pth = Pth(pickle, ("0", floats), ("1", floats));
        var ex = Refused(() => CheckpointImporter.Load(pth));
        Assert.That(ex.Message, Does.Contain(pth).And.Contain("layer 0: 'circuit.layer_list.0.model.param' is a view whose elements overlap"));
        Assert.That(PthReader.Read(pth)["circuit.layer_list.0.model.param"].Overlapping, Is.True, "the reader marks it, the importer refuses it");
    }

    [Test]
    public void When_AViewIsTransposedOrSliced_Expect_NotOverlapping()
    {
        Assert.That(Unpickler.Overlaps([3, 300], [1, 3], 0), Is.False, "transposed");
        Assert.That(Unpickler.Overlaps([2, 3], [6, 2], 1), Is.False, "every other element");
        Assert.That(Unpickler.Overlaps([3, 2], [2, 3], 0), Is.False, "interleaved strides that never meet (0 2 4 / 3 5 7)");
        Assert.That(Unpickler.Overlaps([3, 2], [1, 2], 0), Is.True, "rows 1 and 2 meet at element 2");
        Assert.That(Unpickler.Overlaps([1, 5], [0, 1], 0), Is.False, "a stride over a single row is never used");
    }

    [Test]
    public void When_AStorageEntryInflatesPastWhatThePickleDeclares_Expect_RefusalWithoutReadingIt()
    {
        // 64 MB of zeros deflates to about 64 kB; the pickle declares 300 floats (1200 bytes) for it.
        var pickle = Fixtures.StateDictPickle(("w", "FloatStorage", "0", 300, 0, [300], [1]));
        var pth = P("bomb.pth");
        using (var zip = new ZipArchive(File.Create(pth), ZipArchiveMode.Create))
        {
            using (var s = zip.CreateEntry("archive/data.pkl").Open()) s.Write(pickle);
            using var data = zip.CreateEntry("archive/data/0", CompressionLevel.SmallestSize).Open();
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 64; i++) data.Write(zeros);
        }
        Assert.That(new FileInfo(pth).Length, Is.LessThan(1 << 20));
        var ex = Refused(() => PthReader.Read(pth));
        Assert.That(ex.Message, Does.Contain(pth).And.Contain("unpacks to 67108864 bytes but the pickle declares 1200"));
    }

    [TestCase("name: !!python/object/apply:os.system [\"touch pwned\"]\n", "tag:yaml.org,2002:python/object/apply:os.system")]
    [TestCase("name: !!python/name:os.system x\n", "tag:yaml.org,2002:python/name:os.system")]
    [TestCase("name: !custom x\n", "!custom")]
    public void When_DesignCarriesANonCoreTag_Expect_RefusedAtItsLine(string line, string tag)
    {
        var ex = Refused(() => DesignYaml.Parse("kirchhoffhw: 1\n" + line + "nodes: 1\nlayers: []\n", "t.yaml"));
        Assert.That(ex.Message, Does.Contain("t.yaml:2:").And.Contain($"YAML tag '{tag}' refused"));
        Assert.That(File.Exists(Path.Combine(Environment.CurrentDirectory, "pwned")), Is.False);
    }

    [Test]
    public void When_ConfigCarriesAPythonTag_Expect_RefusedAtItsLine()
    {
        var path = P("config.yaml");
        File.WriteAllText(path, File.ReadAllText(Fixtures.Model("twomoon", "config.yaml")).Replace("test_bench: twomoon", "test_bench: !!python/object/apply:os.system [ls]"));
        var ex = Refused(() => AuthorsConfigReader.Load(path));
        Assert.That(ex.Message, Does.Contain($"{path}:").And.Contain("python/object/apply:os.system' refused"));
    }

    [TestCase("!!str x")]
    [TestCase("!!int 3")]
    public void When_DesignUsesACoreTag_Expect_Accepted(string value)
    {
        var text = value.StartsWith("!!int") ? $"kirchhoffhw: 1\nnodes: {value}\nlayers:\n  - t: [0, 1]\n    model: Conductance\n    devices: []\n"
            : $"kirchhoffhw: 1\nname: {value}\nnodes: 1\nlayers:\n  - t: [0, 1]\n    model: Conductance\n    devices: []\n";
        Assert.DoesNotThrow(() => DesignYaml.Parse(text, "t.yaml"));
    }

    [Test]
    public void When_ACsvRowMixesNumbersAndText_Expect_ErrorAtRowAndColumnNotASilentHeader()
    {
        var path = P("in.csv");
        File.WriteAllText(path, "1,abc,2\n3,4,5\n");
        var ex = Refused(() => InputReader.Read(path));
        Assert.That(ex.Message, Does.Contain($"{path}:1:3").And.Contain("value 2 'abc' is not a number"));
    }

    [Test]
    public void When_ACsvRowIsShorterThanTheInputs_Expect_AWarningNamingTheRow()
    {
        var path = P("in.csv");
        File.WriteAllText(path, "x,y,z\n0.5,1\n0.25,2\n");
        var warnings = new List<string>();
        var rows = InputReader.Read(path, width: 3, nodes: 3, warnings.Add);
        Assert.That(rows, Has.Length.EqualTo(2));
        Assert.That(warnings, Has.Count.EqualTo(1));
        Assert.That(warnings[0], Does.Contain($"{path}:2").And.Contain("line 2 has 2 values for the design's 3 inputs").And.Contain("2 rows"));
        var wide = P("wide.csv");
        File.WriteAllText(wide, "1,2,3,4\n");
        Assert.That(Refused(() => InputReader.Read(wide, 3, 3, null)).Message, Does.Contain($"{wide}:1").And.Contain("line 1 has 4 values but the design has 3 nodes"));
    }

    [Test]
    public void When_InputsAreAFifoOrADevice_Expect_RefusalInsteadOfBlockingOrReadingForever()
    {
        var fifo = P("fifo");
        Assert.That(System.Diagnostics.Process.Start("mkfifo", fifo)!.WaitForExit(10_000), Is.True);
        // Nothing ever writes to the FIFO: opening it to read would block for good.
        var read = Task.Run(() => Assert.Throws<KirchhoffHwException>(() => InputReader.Read(fifo))!.Message);
        Assert.That(read.Wait(TimeSpan.FromMinutes(5)), Is.True, "the reader returned");
        Assert.That(read.Result, Does.Contain("is a FIFO (named pipe), not a regular file"));
        Assert.That(Refused(() => InputReader.Read("/dev/zero")).Message, Does.Contain("/dev/zero: input file is a character device"));
        Assert.That(Refused(() => CaseFile.Read("/dev/urandom")).Message, Does.Contain("case file is a character device"));
        Assert.That(Refused(() => ModelLoader.Load(_dir)).Message, Does.Contain("model file is a folder"));
    }

    private string Config(string generator, string args)
    {
        var path = P("config.yaml");
        File.WriteAllText(path, $"network:\n  model: {{name: Conductance}}\n  net_struct:\n  - {{name: {generator}, args: {args}}}\nsimulation:\n  t_end: [0, 1]\n");
        return path;
    }
}
