using KirchhoffHw.Import;

namespace KirchhoffHw.Report.Tests;

/// <summary>The report's counts are the design's own, for the authors' checkpoints.</summary>
public class CountsTests
{
    [TestCase("twomoon")]
    [TestCase("mnist")]
    public void When_Reporting_A_Checkpoint_Expect_The_Counts_Of_Its_Design(string name)
    {
        var design = ModelLoader.Load(RepoPaths.Model(name, "model.pth")).Design;
        var c = Reports.Json(name == "mnist" ? Reports.Mnist : Reports.Twomoon).GetProperty("counts");
        Assert.That(c.GetProperty("nodes").GetInt32(), Is.EqualTo(design.NodeCount));
        Assert.That(c.GetProperty("capacitors").GetInt32(), Is.EqualTo(design.NodeCount));
        Assert.That(c.GetProperty("devices").GetInt64(), Is.EqualTo(design.DeviceCount));
        Assert.That(c.GetProperty("outputs").GetInt32(), Is.EqualTo(design.OutputNodes.Length));
        var layers = c.GetProperty("layers").EnumerateArray().ToList();
        Assert.That(layers, Has.Count.EqualTo(design.Layers.Count));
        for (int i = 0; i < layers.Count; i++)
        {
            Assert.That(layers[i].GetProperty("devices").GetInt64(), Is.EqualTo(design.Layers[i].Edges.Count));
            Assert.That(layers[i].GetProperty("model").GetString(), Is.EqualTo(design.Layers[i].Model.Name));
        }
        Assert.That(c.GetProperty("models").EnumerateArray().Sum(m => m.GetProperty("devices").GetInt64()), Is.EqualTo(design.DeviceCount));
    }

    [Test]
    public void When_Reporting_Mnist_Expect_460136_Devices_And_834_Capacitors()
    {
        var c = Reports.Json(Reports.Mnist).GetProperty("counts");
        Assert.That(c.GetProperty("devices").GetInt64(), Is.EqualTo(460_136));
        Assert.That(c.GetProperty("capacitors").GetInt32(), Is.EqualTo(834));
    }

    [Test]
    public void When_Reporting_Without_Verdicts_Expect_Verification_Marked_Not_Run()
    {
        var r = Reports.Json(Reports.Mnist);
        // Unverified, and at 1 V per model unit its hidden states swing far outside any rails: the worse of the two heads the report.
        Assert.That(r.GetProperty("verdict").GetString(), Is.EqualTo("not buildable"));
        Assert.That(r.GetProperty("verdict_reasons").EnumerateArray().Select(x => x.GetProperty("kind").GetString()),
            Is.SupersetOf(new[] { "not_verified", "nodes_outside_rails" }));
        Assert.That(r.GetProperty("verdict_headline").GetString(), Does.StartWith("not verified; not buildable:"));
        var run = r.GetProperty("verification")[0];
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("not run"));
        Assert.That(File.ReadAllText(Path.Combine(Reports.Mnist, "report.html")), Does.Contain("not run"));
    }
}
