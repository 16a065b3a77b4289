using System.IO.Compression;
using KirchhoffHw.Import.Pth;
using KirchhoffHw.Model;

namespace KirchhoffHw.Import.Tests;

public class PthReaderTests
{
    private string _dir = "";

    [SetUp] public void SetUp() => _dir = Fixtures.TempDir();
    [TearDown] public void TearDown() => Directory.Delete(_dir, true);

    private static float FloatAt(string pth, string entry, int index)
    {
        using var zip = ZipFile.OpenRead(pth);
        using var s = zip.GetEntry(entry)!.Open();
        var bytes = new byte[zip.GetEntry(entry)!.Length];
        s.ReadExactly(bytes);
        return BitConverter.ToSingle(bytes, index * 4);
    }

    [Test]
    public void When_TwomoonCheckpointIsRead_Expect_TwoTensorsOfThreeBy300MatchingStorageBytes()
    {
        var pth = Fixtures.Model("twomoon", "model.pth");
        var t = PthReader.Read(pth);
        Assert.That(t.Keys, Is.EquivalentTo(new[] { "circuit.layer_list.0.model.param", "circuit.layer_list.1.model.param" }));
        var layer1 = t["circuit.layer_list.1.model.param"];
        Assert.That(layer1.Shape, Is.EqualTo(new[] { 3, 300 }));
        // Element [p, e] of a (3, 300) tensor with strides (300, 1) is float p * 300 + e of archive/data/1.
        foreach (var (p, e) in new[] { (0, 0), (1, 0), (1, 299), (2, 299) })
            Assert.That(layer1.Data[p * 300 + e], Is.EqualTo((double)FloatAt(pth, "archive/data/1", p * 300 + e)));
        // Values read with Python's struct.unpack('<f') from the same bytes.
        Assert.That(t["circuit.layer_list.0.model.param"].Data[300], Is.EqualTo(0.4993782341480255));
        Assert.That(layer1.Data[899], Is.EqualTo(0.4014936685562134));
    }

    [Test]
    public void When_StorageIsReadWithOffsetAndTransposedStrides_Expect_RowMajorCopyOfTheView()
    {
        // Storage 0..9; a (2, 3) view at offset 1 with strides (1, 2) is [[1, 3, 5], [2, 4, 6]].
        var pickle = Fixtures.StateDictPickle(("w", "FloatStorage", "0", 10, 1, [2, 3], [1, 2]));
        var pth = Fixtures.WritePth(Path.Combine(_dir, "m.pth"), pickle, ("0", Fixtures.Floats(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)));
        var t = PthReader.Read(pth)["w"];
        Assert.That(t.Shape, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(t.Data, Is.EqualTo(new double[] { 1, 3, 5, 2, 4, 6 }));
    }

    [Test]
    public void When_DoubleAndHalfStoragesAreRead_Expect_ExactValues()
    {
        var doubles = new byte[16];
        BitConverter.TryWriteBytes(doubles, 0.1);
        BitConverter.TryWriteBytes(doubles.AsSpan(8), -2.5e300);
        var halves = new byte[4];
        BitConverter.TryWriteBytes(halves, (Half)1.5);
        BitConverter.TryWriteBytes(halves.AsSpan(2), (Half)(-0.25));
        var pickle = Fixtures.StateDictPickle(("d", "DoubleStorage", "0", 2, 0, [2], [1]), ("h", "HalfStorage", "1", 2, 0, [2], [1]));
        var t = PthReader.Read(Fixtures.WritePth(Path.Combine(_dir, "m.pth"), pickle, ("0", doubles), ("1", halves)));
        Assert.That(t["d"].Data, Is.EqualTo(new[] { 0.1, -2.5e300 }));
        Assert.That(t["h"].Data, Is.EqualTo(new[] { 1.5, -0.25 }));
    }

    [TestCase("os", "system")]
    [TestCase("builtins", "eval")]
    [TestCase("torch._utils", "_rebuild_parameter")]
    public void When_PickleNamesAForbiddenGlobal_Expect_RefusalNamingItAndNothingExecuted(string module, string name)
    {
        var marker = Path.Combine(_dir, "pwned");
        var pickle = new PickleBuilder().Proto().Global(module, name).Mark().Str($"touch {marker}").Tuple().Reduce().Stop().Bytes();
        var pth = Fixtures.WritePth(Path.Combine(_dir, "evil.pth"), pickle);
        var ex = Assert.Throws<KirchhoffHwException>(() => PthReader.Read(pth));
        Assert.That(ex!.Message, Does.Contain(pth).And.Contain($"refused global '{module} {name}'"));
        Assert.That(File.Exists(marker), Is.False);
    }

    [Test]
    public void When_PickleUsesAnUnsupportedOpcode_Expect_RefusalNamingTheOpcode()
    {
        var pickle = new PickleBuilder().Proto().Op((byte)'i').Stop().Bytes(); // INST builds arbitrary objects
        var pth = Fixtures.WritePth(Path.Combine(_dir, "inst.pth"), pickle);
        var ex = Assert.Throws<KirchhoffHwException>(() => PthReader.Read(pth));
        Assert.That(ex!.Message, Does.Contain(pth).And.Contain("opcode 0x69 ('i')"));
    }

    [Test]
    public void When_CheckpointIsTruncated_Expect_ErrorNamingFileAndCorruption()
    {
        var bytes = File.ReadAllBytes(Fixtures.Model("twomoon", "model.pth"));
        var pth = Path.Combine(_dir, "cut.pth");
        File.WriteAllBytes(pth, bytes[..(bytes.Length / 2)]);
        var ex = Assert.Throws<KirchhoffHwException>(() => PthReader.Read(pth));
        Assert.That(ex!.Message, Does.Contain(pth).And.Contain("truncated or corrupt"));
    }

    [Test]
    public void When_FileIsNotAZip_Expect_ErrorSayingItIsNoZipCheckpoint()
    {
        var pth = Path.Combine(_dir, "text.pth");
        File.WriteAllText(pth, "this is not a checkpoint at all");
        var ex = Assert.Throws<KirchhoffHwException>(() => PthReader.Read(pth));
        Assert.That(ex!.Message, Does.Contain(pth).And.Contain("not a PyTorch zip checkpoint").And.Contain("zip signature"));
    }

    [Test]
    public void When_ZipHasNoDataPkl_Expect_ErrorNamingDataPkl()
    {
        var pth = Path.Combine(_dir, "empty.pth");
        using (var zip = ZipFile.Open(pth, ZipArchiveMode.Create)) zip.CreateEntry("archive/version");
        var ex = Assert.Throws<KirchhoffHwException>(() => PthReader.Read(pth));
        Assert.That(ex!.Message, Does.Contain(pth).And.Contain("no data.pkl"));
    }

    [Test]
    public void When_StorageRecordIsMissing_Expect_ErrorNamingTheRecord()
    {
        var pickle = Fixtures.StateDictPickle(("w", "FloatStorage", "7", 2, 0, [2], [1]));
        var pth = Fixtures.WritePth(Path.Combine(_dir, "m.pth"), pickle);
        var ex = Assert.Throws<KirchhoffHwException>(() => PthReader.Read(pth));
        Assert.That(ex!.Message, Does.Contain(pth).And.Contain("missing storage record 'archive/data/7'"));
    }

    [Test]
    public void When_ViewReachesBeyondTheStorage_Expect_ErrorNamingShapeOffsetAndStride()
    {
        var pickle = Fixtures.StateDictPickle(("w", "FloatStorage", "0", 6, 2, [2, 3], [3, 1]));
        var pth = Fixtures.WritePth(Path.Combine(_dir, "m.pth"), pickle, ("0", Fixtures.Floats(0, 1, 2, 3, 4, 5)));
        var ex = Assert.Throws<KirchhoffHwException>(() => PthReader.Read(pth));
        Assert.That(ex!.Message, Does.Contain(pth).And.Contain("storage '0' is too short").And.Contain("(2, 3) at offset 2").And.Contain("reaches element 7"));
    }

    [Test]
    public void When_StorageHoldsFewerBytesThanItDeclares_Expect_Error()
    {
        var pickle = Fixtures.StateDictPickle(("w", "FloatStorage", "0", 6, 0, [6], [1]));
        var pth = Fixtures.WritePth(Path.Combine(_dir, "m.pth"), pickle, ("0", Fixtures.Floats(0, 1, 2)));
        var ex = Assert.Throws<KirchhoffHwException>(() => PthReader.Read(pth));
        Assert.That(ex!.Message, Does.Contain(pth).And.Contain("holds 12 bytes but declares 6"));
    }
}
