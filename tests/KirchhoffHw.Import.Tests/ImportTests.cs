using KirchhoffHw.Import.AuthorsConfig;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Import.Tests;

public class ImportTests
{
    private string _dir = "";

    [SetUp] public void SetUp() => _dir = Fixtures.TempDir();
    [TearDown] public void TearDown() => Directory.Delete(_dir, true);

    private string Config(string text, string name = "config.yaml")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string TwomoonConfig => File.ReadAllText(Fixtures.Model("twomoon", "config.yaml"));

    [Test]
    public void When_TwomoonCheckpointIsImported_Expect_TwoShiftTanh2LayersOf300OnTwoNodes()
    {
        var m = CheckpointImporter.Load(Fixtures.Model("twomoon", "model.pth"));
        var d = m.Design;
        Assert.That(d.NodeCount, Is.EqualTo(2));
        Assert.That(d.Layers.Select(l => (l.TStart, l.TEnd)), Is.EqualTo(new[] { (0.0, 0.5), (0.5, 1.0) }));
        Assert.That(d.Layers.Select(l => l.Edges.Count), Is.EqualTo(new[] { 300, 300 }));
        Assert.That(d.Layers.Select(l => l.Model), Is.All.InstanceOf<ShiftTanh2>());
        Assert.That(d.Readout, Is.EqualTo(Readout.AllNodes));
        Assert.That(d.Task, Is.EqualTo(TaskKind.Generation));
        Assert.That(d.Input, Is.EqualTo(new InputMap(2)));
        Assert.That(m.Tolerance, Is.EqualTo(1e-4));
        // p1 of device 0 in layer 0 is float 300 of archive/data/0 (struct.unpack in Python).
        Assert.That(d.Layers[0].ParametersOf(0)[1], Is.EqualTo(0.4993782341480255));
        Assert.That((d.Layers[0].Edges.Source[0], d.Layers[0].Edges.Destination[0]), Is.EqualTo((0, 1)));
    }

    /// <summary>Import time is measured by `make bench` (bench/results/reference.json), not asserted here.</summary>
    [Test]
    public void When_MnistCheckpointIsImported_Expect_834NodesLast10Classification()
    {
        var m = CheckpointImporter.Load(Fixtures.Model("mnist", "model.pth"));
        var d = m.Design;
        Assert.That(d.NodeCount, Is.EqualTo(834));
        Assert.That(d.Layers.Select(l => l.Edges.Count), Is.EqualTo(new[] { 230068, 230068 }));
        Assert.That(d.Layers.Select(l => l.Model), Is.All.InstanceOf<ShiftRelu1>());
        Assert.That(d.Readout, Is.EqualTo(new Readout(ReadoutKind.Last, 10)));
        Assert.That(d.Task, Is.EqualTo(TaskKind.Classification));
        Assert.That(d.Input.Width, Is.EqualTo(784));
        Assert.That(d.DeviceCount, Is.EqualTo(460136));
        Assert.That(d.Layers[1].ParametersOf(230067), Is.EqualTo(new[] { 0.004852123558521271, -0.002231064485386014 }));
    }

    [Test]
    public void When_TensorShapeDoesNotMatchTopology_Expect_ErrorNamingLayerShapeAndExpected()
    {
        File.Copy(Fixtures.Model("twomoon", "model.pth"), Path.Combine(_dir, "model.pth"));
        Config(TwomoonConfig.Replace("num_node: 3", "num_node: 4"));
        var ex = Assert.Throws<KirchhoffHwException>(() => CheckpointImporter.Load(Path.Combine(_dir, "model.pth")));
        Assert.That(ex!.Message, Does.Contain("model.pth").And.Contain("layer 0").And.Contain("shape (3, 300)").And.Contain("needs (3, 600)"));
    }

    [Test]
    public void When_ParameterIsNaN_Expect_ValidatorErrorNamingLayerDeviceAndParameter()
    {
        var values = Enumerable.Range(0, 6).Select(i => (float)i / 10).ToArray();
        values[4] = float.NaN;
        var pickle = Fixtures.StateDictPickle(("circuit.layer_list.0.model.param", "FloatStorage", "0", 6, 0, [3, 2], [2, 1]));
        var pth = Fixtures.WritePth(Path.Combine(_dir, "model.pth"), pickle, ("0", Fixtures.Floats(values)));
        Config("network:\n  model: {name: ShiftTanh2}\n  net_struct:\n  - {name: _fully_connect, args: {num_node: 2, repeat: [1, 0]}}\nsimulation:\n  t_end: [0, 1]\n");
        var ex = Assert.Throws<KirchhoffHwException>(() => CheckpointImporter.Load(pth));
        Assert.That(ex!.Message, Does.Contain(pth).And.Contain("layer 0, device 0: parameter p2 is NaN"));
    }

    [Test]
    public void When_ConfigNamesUnknownGenerator_Expect_ErrorListingKnownOnesAtLine()
    {
        var path = Config(TwomoonConfig.Replace("name: _fully_connect", "name: _ring_connect"));
        var ex = Assert.Throws<KirchhoffHwException>(() => AuthorsConfigReader.Load(path));
        Assert.That(ex!.Message, Does.Contain($"{path}:14:").And.Contain("unknown topology generator '_ring_connect'").And.Contain("_mix_connect"));
    }

    [Test]
    public void When_ConfigNamesUnknownDeviceModel_Expect_ErrorListingKnownModels()
    {
        var path = Config(TwomoonConfig.Replace("name: ShiftTanh2", "name: ShiftSigmoid"));
        var ex = Assert.Throws<KirchhoffHwException>(() => AuthorsConfigReader.Load(path));
        Assert.That(ex!.Message, Does.Contain($"{path}:7:").And.Contain("unknown device model 'ShiftSigmoid'").And.Contain("ShiftRelu1"));
    }

    [Test]
    public void When_ConfigHasMlpProjector_Expect_RefusedAsHavingNoCircuitForm()
    {
        var path = Config(File.ReadAllText(Fixtures.Model("mnist", "config.yaml")).Replace("projector: last10", "projector: mlp_834_10"));
        var ex = Assert.Throws<KirchhoffHwException>(() => AuthorsConfigReader.Load(path));
        Assert.That(ex!.Message, Does.Contain(path).And.Contain("projector 'mlp_834_10' has no circuit form"));
    }

    [Test]
    public void When_ConfigHasEncoder_Expect_Refused()
    {
        var path = Config(File.ReadAllText(Fixtures.Model("mnist", "config.yaml")).Replace("encoder: null", "encoder: {name: conv}"));
        var ex = Assert.Throws<KirchhoffHwException>(() => AuthorsConfigReader.Load(path));
        Assert.That(ex!.Message, Does.Contain("network.encoder is set").And.Contain("no circuit form"));
    }

    [Test]
    public void When_TEndCountDoesNotMatchLayers_Expect_ErrorWithCounts()
    {
        var path = Config(TwomoonConfig.Replace("  - 1.0\n", ""));
        var ex = Assert.Throws<KirchhoffHwException>(() => AuthorsConfigReader.Load(path));
        Assert.That(ex!.Message, Does.Contain("t_end has 2 boundaries but network.net_struct has 2 layers"));
    }

    [Test]
    public void When_ConfigUsesAnAlias_Expect_RefusedAtItsLine()
    {
        var path = Config("network: &net\n  model: {name: ShiftTanh2}\ncopy: *net\n");
        var ex = Assert.Throws<KirchhoffHwException>(() => AuthorsConfigReader.Load(path));
        Assert.That(ex!.Message, Does.Contain($"{path}:1:").And.Contain("anchor '&net' refused"));
    }

    [Test]
    public void When_ConfigHasNoMetricAndNoGenerativeBench_Expect_Regression()
    {
        var path = Config("network:\n  model: {name: Conductance}\n  net_struct:\n  - {name: _simple_connect, args: {num_node: 3, include_gnd: false}}\nsimulation:\n  t_end: [0, 1]\n  tol: 1e-6\n");
        var c = AuthorsConfigReader.Load(path);
        Assert.That(c.Task, Is.EqualTo(TaskKind.Regression));
        Assert.That(c.NodeCount, Is.EqualTo(4));
        Assert.That(c.Tolerance, Is.EqualTo(1e-6));
    }

    [Test]
    public void When_LoaderGetsPthAndDesign_Expect_DispatchByFileType()
    {
        var fromPth = ModelLoader.Load(Fixtures.Model("twomoon", "model.pth"));
        Assert.That(fromPth.Tolerance, Is.EqualTo(1e-4));
        var yaml = Path.Combine(_dir, "twomoon.yaml");
        DesignYaml.Save(fromPth.Design, yaml);
        var fromYaml = ModelLoader.Load(yaml);
        Assert.That(fromYaml.Tolerance, Is.Null);
        Assert.That(fromYaml.Design.DeviceCount, Is.EqualTo(600));
        Assert.That(fromYaml.Source, Is.EqualTo(yaml));
    }

    [Test]
    public void When_LoaderGetsMissingFileOrAuthorsConfig_Expect_ClearErrors()
    {
        var missing = Path.Combine(_dir, "nope.pth");
        Assert.That(Assert.Throws<KirchhoffHwException>(() => ModelLoader.Load(missing))!.Message, Does.Contain(missing).And.Contain("not found"));
        var config = Fixtures.Model("twomoon", "config.yaml");
        Assert.That(Assert.Throws<KirchhoffHwException>(() => ModelLoader.Load(config))!.Message, Does.Contain("not a KirchhoffHw design"));
    }
}
