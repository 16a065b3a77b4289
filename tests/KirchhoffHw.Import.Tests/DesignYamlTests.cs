using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;
using KirchhoffHw.Model.Validation;

namespace KirchhoffHw.Import.Tests;

public class DesignYamlTests
{
    private string _dir = "";

    [SetUp] public void SetUp() => _dir = Fixtures.TempDir();
    [TearDown] public void TearDown() => Directory.Delete(_dir, true);

    private const string Header = "kirchhoffhw: 1\nname: t\nnodes: 3\nlayers:\n  - t: [0, 1]\n    model: ShiftTanh2\n    devices:\n";

    private static void AssertSame(Design expected, Design actual)
    {
        Assert.That(actual.Name, Is.EqualTo(expected.Name));
        Assert.That(actual.NodeCount, Is.EqualTo(expected.NodeCount));
        Assert.That(actual.Input, Is.EqualTo(expected.Input));
        Assert.That(actual.Readout, Is.EqualTo(expected.Readout));
        Assert.That(actual.Units, Is.EqualTo(expected.Units));
        Assert.That(actual.Task, Is.EqualTo(expected.Task));
        Assert.That(actual.Layers, Has.Count.EqualTo(expected.Layers.Count));
        for (int i = 0; i < expected.Layers.Count; i++)
        {
            var (a, b) = (expected.Layers[i], actual.Layers[i]);
            Assert.That((b.TStart, b.TEnd, b.Model), Is.EqualTo((a.TStart, a.TEnd, a.Model)));
            Assert.That(b.Edges.Source, Is.EqualTo(a.Edges.Source));
            Assert.That(b.Edges.Destination, Is.EqualTo(a.Edges.Destination));
            // Bit-exact: compare raw bits so -0.0 and the last ulp both count.
            Assert.That(b.Theta.Select(BitConverter.DoubleToInt64Bits), Is.EqualTo(a.Theta.Select(BitConverter.DoubleToInt64Bits)));
        }
    }

    [Test]
    public void When_AwkwardDesignIsWrittenAndRead_Expect_IdenticalDesignBitForBit()
    {
        var model = DeviceModels.Find("ShiftTanh1")!;
        double[] theta = [0.1, -0.0, 1e-300, double.Epsilon, Math.PI, -1.0 / 3, double.MaxValue, 123456789.123456789];
        var layers = new[]
        {
            new Layer(0, 0.25, model, new EdgeList([1, 2, 0, 3], [2, 0, 3, 1]), theta),
            new Layer(0.25, 1.0 / 3, DeviceModels.Find("Conductance")!, new EdgeList([], []), []),
        };
        var design = new Design("odd: \"name\" #1", 3, layers, new InputMap(2, FillMode.Repeat), new Readout(ReadoutKind.First, 2),
            new Units(1e-12, 1e-6, 0.5), TaskKind.Generation);
        var path = Path.Combine(_dir, "odd.yaml");
        DesignYaml.Save(design, path);
        AssertSame(design, DesignYaml.Load(path));
    }

    /// <summary>Export and import times are measured by `make bench` against YamlDotNet (bench/results/design-yaml.json).</summary>
    [Test]
    public void When_MnistIsExportedAndReadBack_Expect_Identical()
    {
        var design = CheckpointImporter.Load(Fixtures.Model("mnist", "model.pth")).Design;
        var path = Path.Combine(_dir, "mnist.yaml");
        DesignYaml.Save(design, path);
        AssertSame(design, DesignYaml.Load(path));
    }

    [TestCase("tiny.yaml", 3, 1, 4)]
    [TestCase("spiral.yaml", 3, 3, 30)]
    public void When_ShippedDesignIsLoaded_Expect_ValidDesignOfItsStatedSize(string file, int nodes, int layers, int devices)
    {
        var path = Path.Combine(Fixtures.Designs, file);
        var d = DesignYaml.Load(path);
        Assert.That(DesignValidator.Check(d, path), Is.Empty);
        Assert.That((d.NodeCount, d.Layers.Count, d.DeviceCount), Is.EqualTo((nodes, layers, (long)devices)));
    }

    [Test]
    public void When_SpiralIsLoaded_Expect_DifferentModelsPerLayer()
    {
        var d = DesignYaml.Load(Path.Combine(Fixtures.Designs, "spiral.yaml"));
        Assert.That(d.Layers.Select(l => l.Model.Name).Distinct().Count(), Is.EqualTo(3));
    }

    [Test]
    public void When_DeviceUsesUndefinedNode_Expect_ErrorNamingDeviceAndLine()
    {
        var text = Header + "      - [1, 2, 0.1, 0.2, 0.3]\n      - [1, 7, 0.1, 0.2, 0.3]\n";
        var ex = Assert.Throws<KirchhoffHwException>(() => DesignYaml.Parse(text, "d.yaml"));
        Assert.That(ex!.Message, Does.Contain("d.yaml:9:").And.Contain("layer 0, device 1: destination node 7 is not defined"));
    }

    [Test]
    public void When_RowHasWrongNumberOfValues_Expect_ErrorNamingExpectedParameters()
    {
        var ex = Assert.Throws<KirchhoffHwException>(() => DesignYaml.Parse(Header + "      - [1, 2, 0.1, 0.2]\n", "d.yaml"));
        Assert.That(ex!.Message, Does.Contain("d.yaml:8:").And.Contain("row has 4 values but a ShiftTanh2 device needs 5"));
    }

    [TestCase(".nan", "is .nan")]
    [TestCase("-.inf", "is -.inf")]
    public void When_ParameterIsNotFinite_Expect_ErrorAtItsLineAndColumn(string value, string expected)
    {
        var ex = Assert.Throws<KirchhoffHwException>(() => DesignYaml.Parse(Header + $"      - [1, 2, 0.1, {value}, 0.3]\n", "d.yaml"));
        Assert.That(ex!.Message, Does.Contain("d.yaml:8:21").And.Contain($"parameter 1 {expected}; parameters must be finite"));
    }

    [Test]
    public void When_ModelIsUnknown_Expect_ErrorListingKnownModels()
    {
        var ex = Assert.Throws<KirchhoffHwException>(() => DesignYaml.Parse(Header.Replace("ShiftTanh2", "Memristor") + "      - [1, 2, 0.1]\n", "d.yaml"));
        Assert.That(ex!.Message, Does.Contain("d.yaml:6:12").And.Contain("unknown device model 'Memristor'").And.Contain("Conductance"));
    }

    [Test]
    public void When_KeyIsUnknownOrTypeIsWrong_Expect_LocatedErrors()
    {
        var unknown = Assert.Throws<KirchhoffHwException>(() => DesignYaml.Parse("kirchhoffhw: 1\nnodes: 3\nnodez: 4\nlayers: []\n", "d.yaml"));
        Assert.That(unknown!.Message, Does.Contain("d.yaml:3:1").And.Contain("unknown key 'nodez'"));
        var wrongType = Assert.Throws<KirchhoffHwException>(() => DesignYaml.Parse("kirchhoffhw: 1\nnodes: [3]\nlayers: []\n", "d.yaml"));
        Assert.That(wrongType!.Message, Does.Contain("d.yaml:2:8").And.Contain("nodes must be a single value"));
        var badNode = Assert.Throws<KirchhoffHwException>(() => DesignYaml.Parse(Header + "      - [1.5, 2, 0.1, 0.2, 0.3]\n", "d.yaml"));
        Assert.That(badNode!.Message, Does.Contain("d.yaml:8:10").And.Contain("source node '1.5' is not an integer"));
    }

    [Test]
    public void When_YamlIsAnAliasBomb_Expect_FastRefusalAtTheFirstAnchor()
    {
        var lines = new List<string> { "kirchhoffhw: 1", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]" };
        for (int i = 1; i < 10; i++)
            lines.Add($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 9))}]");
        // refused where the first anchor is defined, before any alias could be expanded
        var ex = Assert.Throws<KirchhoffHwException>(() => DesignYaml.Parse(string.Join("\n", lines), "bomb.yaml"));
        Assert.That(ex!.Message, Does.Contain("bomb.yaml:2:").And.Contain("anchor '&a0' refused"));
    }

    [Test]
    public void When_YamlIsMalformed_Expect_SyntaxErrorWithLocation()
    {
        var ex = Assert.Throws<KirchhoffHwException>(() => DesignYaml.Parse("kirchhoffhw: 1\nnodes: [3\nlayers: []\n", "bad.yaml"));
        Assert.That(ex!.Message, Does.Match(@"bad\.yaml:\d+:\d+: YAML syntax error"));
    }
}
