using KirchhoffHw.Import.Cases;
using KirchhoffHw.Model;

namespace KirchhoffHw.Import.Tests;

public class CasesTests
{
    private string _dir = "";

    [SetUp] public void SetUp() => _dir = Fixtures.TempDir();
    [TearDown] public void TearDown() => Directory.Delete(_dir, true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Test]
    public void When_CsvHasHeaderCommentsAndBlankLines_Expect_OnlyNumericRows()
    {
        var rows = InputReader.Read(Write("in.csv", "# two inputs\nx,y\n\n0.5, -1\n1e-3,2\n"));
        Assert.That(rows, Is.EqualTo(new[] { new[] { 0.5, -1.0 }, new[] { 1e-3, 2.0 } }));
    }

    [Test]
    public void When_CsvHasABadValue_Expect_ErrorAtLineAndColumn()
    {
        var path = Write("in.csv", "x,y\n1,2\n3,abc\n");
        var ex = Assert.Throws<KirchhoffHwException>(() => InputReader.Read(path));
        Assert.That(ex!.Message, Does.Contain($"{path}:3:3").And.Contain("'abc' is not a number"));
    }

    [Test]
    public void When_JsonArrayOfArrays_Expect_Rows()
    {
        Assert.That(InputReader.Read(Write("in.json", "[[1, 2.5], [3, -4]]")), Is.EqualTo(new[] { new[] { 1, 2.5 }, new[] { 3.0, -4 } }));
        var ragged = Write("r.json", "[[1, 2], [3]]");
        Assert.That(Assert.Throws<KirchhoffHwException>(() => InputReader.Read(ragged))!.Message, Does.Contain("input 1 has 1 values but the first row has 2"));
    }

    [Test]
    public void When_VectorsJsonIsReadAsInputs_Expect_EachCaseInput()
    {
        var rows = InputReader.Read(Fixtures.Model("mnist", "vectors.json"));
        Assert.That(rows, Has.Length.EqualTo(3));
        Assert.That(rows, Has.All.Length.EqualTo(784));
    }

    [Test]
    public void When_VectorsJsonIsReadAndWrittenBack_Expect_SameCasesBitForBitAndMetadataFirst()
    {
        var set = CaseFile.Read(Fixtures.Model("twomoon", "vectors.json"));
        Assert.That(set.Metadata["device_model"], Is.EqualTo("ShiftTanh2"));
        Assert.That(set.Cases[0].Input, Is.EqualTo(new[] { -0.11482065725950988, 1.5493252880289283 }));
        Assert.That(set.Cases[0].Boundaries.Select(b => b.T), Is.EqualTo(new[] { 0.5, 1.0 }));
        var path = Path.Combine(_dir, "out.json");
        CaseFile.Write(path, set);
        var back = CaseFile.Read(path);
        Assert.That(back.Cases, Has.Count.EqualTo(set.Cases.Count));
        for (int i = 0; i < set.Cases.Count; i++)
        {
            Assert.That(back.Cases[i].Input, Is.EqualTo(set.Cases[i].Input));
            Assert.That(back.Cases[i].Output, Is.EqualTo(set.Cases[i].Output));
            Assert.That(back.Cases[i].Boundaries.SelectMany(b => b.State.Prepend(b.T)), Is.EqualTo(set.Cases[i].Boundaries.SelectMany(b => b.State.Prepend(b.T))));
        }
        Assert.That(back.Metadata.Keys, Is.EqualTo(set.Metadata.Keys));
        var text = File.ReadAllText(path);
        Assert.That(text, Does.StartWith("{\"checkpoint\":\"twomoon/model.pth\"").And.Contain("\"time_spans\":[[0,0.5],[0.5,1]]"));
        Assert.That(text.IndexOf("\"cases\":", StringComparison.Ordinal), Is.GreaterThan(text.IndexOf("\"solver\":", StringComparison.Ordinal)));
    }

    [Test]
    public void When_CaseFileIsWrittenWithAwkwardDoubles_Expect_RoundTripExact()
    {
        double[] awkward = [0.1, 1.0 / 3, double.Epsilon, -1e308, 5e-324, 123456789.98765432];
        var set = new CaseSet([new Case(awkward, [new Boundary(0.5, awkward)], awkward)], new Dictionary<string, object?> { ["solver"] = "x", ["n"] = 3L });
        var path = Path.Combine(_dir, "c.json");
        CaseFile.Write(path, set);
        var back = CaseFile.Read(path);
        Assert.That(back.Cases[0].Output.Select(BitConverter.DoubleToInt64Bits), Is.EqualTo(awkward.Select(BitConverter.DoubleToInt64Bits)));
        Assert.That(back.Metadata["n"], Is.EqualTo(3L));
    }

    [Test]
    public void When_RandomInputsAreDrawnTwiceWithOneSeed_Expect_SameNumbersAndSensibleMoments()
    {
        var a = InputReader.Random(2000, 3, 42, RandomInputKind.StandardNormal);
        var b = InputReader.Random(2000, 3, 42, RandomInputKind.StandardNormal);
        var c = InputReader.Random(2000, 3, 43, RandomInputKind.StandardNormal);
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a[0], Is.Not.EqualTo(c[0]));
        var all = a.SelectMany(r => r).ToArray();
        double mean = all.Average(), variance = all.Select(x => (x - mean) * (x - mean)).Average();
        Assert.That(mean, Is.EqualTo(0).Within(0.05));
        Assert.That(variance, Is.EqualTo(1).Within(0.08));
        var u = InputReader.Random(1000, 2, 7, RandomInputKind.Uniform01).SelectMany(r => r).ToArray();
        Assert.That(u, Has.All.InRange(0.0, 1.0));
        Assert.That(u.Average(), Is.EqualTo(0.5).Within(0.03));
    }
}
