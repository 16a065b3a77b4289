using KirchhoffHw.Import.AuthorsConfig;
using KirchhoffHw.Model;

namespace KirchhoffHw.Import.Tests;

/// <summary>Expected lists are worked out by hand from the rules in shared/models/README.md and topology.py.</summary>
public class TopologyGeneratorTests
{
    private static (int, int)[] Pairs(EdgeList e) => e.Source.Zip(e.Destination).ToArray();

    [Test]
    public void When_FullyConnectIncludesGround_Expect_EveryOrderedPairForwardThenBackward()
    {
        var e = TopologyGenerators.FullyConnect(3, includeGnd: true, repeat: [1, 1]);
        Assert.That(Pairs(e), Is.EqualTo(new[]
        {
            (0, 1), (1, 0), (0, 2), (2, 0),
            (1, 0), (0, 1), (1, 2), (2, 1),
            (2, 0), (0, 2), (2, 1), (1, 2),
        }));
    }

    [Test]
    public void When_FullyConnectExcludesGroundWithRepeat_Expect_NodesFromOneAndCopiesAdjacent()
    {
        var e = TopologyGenerators.FullyConnect(2, includeGnd: false, repeat: [2, 0]);
        Assert.That(Pairs(e), Is.EqualTo(new[] { (1, 2), (1, 2), (2, 1), (2, 1) }));
        Assert.That(TopologyGenerators.FullyConnect(3, repeat: [25, 25]).Count, Is.EqualTo(300));
    }

    [Test]
    public void When_SimpleConnect_Expect_ChainWithFirstRepeatOnly()
    {
        Assert.That(Pairs(TopologyGenerators.SimpleConnect(3, true, [2, 9])), Is.EqualTo(new[] { (0, 1), (0, 1), (1, 2), (1, 2), (2, 3), (2, 3) }));
        Assert.That(Pairs(TopologyGenerators.SimpleConnect(2, includeGnd: false)), Is.EqualTo(new[] { (1, 2), (2, 3) }));
    }

    [Test]
    public void When_NeighborIndexOnTwoByThreeImage_Expect_WindowsRowMajorAndPairsWithinEach()
    {
        // width 2 = rows, height 3 = columns: row 0 is nodes 1 2 3, row 1 is 4 5 6; two 2x2 windows.
        var e = TopologyGenerators.NeighborIndex(1, 2, 3, 2);
        Assert.That(Pairs(e), Is.EqualTo(new[]
        {
            (1, 2), (1, 4), (1, 5), (2, 1), (2, 4), (2, 5), (4, 1), (4, 2), (4, 5), (5, 1), (5, 2), (5, 4),
            (2, 3), (2, 5), (2, 6), (3, 2), (3, 5), (3, 6), (5, 2), (5, 3), (5, 6), (6, 2), (6, 3), (6, 5),
        }));
    }

    [Test]
    public void When_NeighborIndexHasTwoChannels_Expect_ChannelMajorPositions()
    {
        // channel 0 is nodes 1 2, channel 1 is 3 4; a 1x1 window pairs the same pixel across channels.
        Assert.That(Pairs(TopologyGenerators.NeighborIndex(2, 1, 2, 1)), Is.EqualTo(new[] { (1, 3), (3, 1), (2, 4), (4, 2) }));
    }

    [Test]
    public void When_NeighborIndexIsPaddedAndRepeated_Expect_PaddingSkippedAndCopiesAdjacent()
    {
        // A 1x2 image padded by 1: six 2x2 windows, of which only two hold both pixels.
        var e = TopologyGenerators.NeighborIndex(1, 1, 2, 2, padding: true, repeat: 2);
        Assert.That(Pairs(e), Is.EqualTo(new[] { (1, 2), (1, 2), (2, 1), (2, 1), (1, 2), (1, 2), (2, 1), (2, 1) }));
    }

    [Test]
    public void When_NeighborIndexIsParallel_Expect_CopyShiftedByLargestNode()
    {
        var e = TopologyGenerators.NeighborIndex(2, 1, 2, 1, parallel: 2);
        Assert.That(Pairs(e), Is.EqualTo(new[] { (1, 3), (3, 1), (2, 4), (4, 2), (5, 7), (7, 5), (6, 8), (8, 6) }));
    }

    [Test]
    public void When_MixConnect_Expect_KernelThenPixelGroundThenExtraNodes()
    {
        var e = TopologyGenerators.MixConnect(1, 2, 2, 2, 1, repeat: [1, 1]);
        Assert.That(Pairs(e), Is.EqualTo(new[]
        {
            (1, 2), (1, 3), (1, 4), (2, 1), (2, 3), (2, 4), (3, 1), (3, 2), (3, 4), (4, 1), (4, 2), (4, 3),
            (1, 0), (0, 1), (2, 0), (0, 2), (3, 0), (0, 3), (4, 0), (0, 4),
            (0, 5), (5, 0), (1, 5), (5, 1), (2, 5), (5, 2), (3, 5), (5, 3), (4, 5), (5, 4),
        }));
    }

    [Test]
    public void When_MixConnectHasKernelRepeatAndDefaultRepeat_Expect_KernelEdgesDoubledAndOnlyPixelToGround()
    {
        var e = TopologyGenerators.MixConnect(2, 1, 1, 1, 0, kernelRepeat: 2);
        // Default repeat is [1, 0]: no ground-to-pixel edges.
        Assert.That(Pairs(e), Is.EqualTo(new[] { (1, 2), (1, 2), (2, 1), (2, 1), (1, 0), (2, 0) }));
    }

    [Test]
    public void When_MixConnectHasMnistArguments_Expect_230068EdgesOver834Nodes()
    {
        var e = TopologyGenerators.MixConnect(1, 28, 28, 4, 50, [1, 1]);
        // 625 windows x 16 x 15 pairs + 784 x 2 pixel-ground + 50 x 785 x 2 extra.
        Assert.That(e.Count, Is.EqualTo(625 * 240 + 1568 + 78500).And.EqualTo(230068));
        Assert.That(e.Source.Max(), Is.EqualTo(834));
    }

    [Test]
    public void When_WindowDoesNotFitWithoutPadding_Expect_ArgumentError()
    {
        Assert.Throws<ArgumentException>(() => TopologyGenerators.NeighborIndex(1, 2, 2, 3));
    }
}
