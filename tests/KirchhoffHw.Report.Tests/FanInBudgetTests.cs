using KirchhoffHw.Import;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;

namespace KirchhoffHw.Report.Tests;

/// <summary>The fan-in error budget: the node where the most device current meets, and what it asks of every cell.</summary>
public class FanInBudgetTests
{
    [Test]
    public void When_DevicesMeetAtANode_Expect_TheBudgetOfTheNodeWithTheMostCurrentTimesItsSlice()
    {
        // tiny.yaml: 1->2, 2->3, 1->0, 3->0 over [0, 1]. Peaks 1, 2, 3, 4: node 1 carries 1+3, node 2 1+2, node 3 2+4.
        var design = DesignYaml.Load(Path.Combine(RepoPaths.Designs, "tiny.yaml"));
        var op = new OperatingPoint([0.0, 1.0], [], SolverOptions.Golden, [[1.0, 2.0, 3.0, 4.0]]);
        var b = FanInBudget.Of(design, op, 1e-3)!;
        Assert.That((b.Layer, b.Node, b.FanIn, b.MaxFanIn), Is.EqualTo((0, 3, 2, 2)));
        Assert.That(b.PeakCurrentSum, Is.EqualTo(6.0));
        Assert.That(b.Systematic, Is.EqualTo(1e-3 / 6.0).Within(1e-15));
        // Independent errors add as a root sum of squares: node 3's sqrt(4 + 16) is the largest.
        Assert.That(b.Random, Is.EqualTo(1e-3 / Math.Sqrt(20)).Within(1e-15));
        Assert.That(b.SteepestInputKnee, Is.Null, "a conductance has no affine input to turn over");
    }

    [Test]
    public void When_ReportingMnist_Expect_ItsWorstNodeAndATransistorCountInTheBudget()
    {
        var design = ModelLoader.Load(RepoPaths.Model("mnist", "model.pth")).Design;
        var json = Reports.Json(Reports.Mnist);
        var b = json.GetProperty("fan_in_budget");
        int most = design.Layers.Max(l => Enumerable.Range(1, design.NodeCount)
            .Max(n => Enumerable.Range(0, l.Edges.Count).Count(e => l.Edges.Source[e] == n || l.Edges.Destination[e] == n)));
        Assert.That(b.GetProperty("max_fan_in").GetInt32(), Is.EqualTo(most));
        Assert.That(b.GetProperty("fan_in").GetInt32(), Is.LessThanOrEqualTo(most).And.GreaterThan(0));
        Assert.That(b.GetProperty("output_tolerance").GetDouble(), Is.EqualTo(5e-3), "a classifier's logits");
        Assert.That(b.GetProperty("systematic").GetDouble(), Is.LessThanOrEqualTo(b.GetProperty("random").GetDouble()));
        Assert.That(b.GetProperty("transistors").GetInt64(), Is.EqualTo(json.GetProperty("counts").GetProperty("transistors").GetInt64()));
        Assert.That(b.GetProperty("steepest_input_knee").GetDouble(), Is.GreaterThan(0));
        Assert.That(File.ReadAllText(Path.Combine(Reports.Mnist, "report.md")), Does.Contain("### Fan-in error budget").And.Contain("budget, random"));
    }
}
