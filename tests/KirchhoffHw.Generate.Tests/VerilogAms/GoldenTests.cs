using NUnit.Framework.Internal;

namespace KirchhoffHw.Generate.Tests.VerilogAms;

/// <summary>Update mode writes the new golden file and still fails, so regenerating is never mistaken for passing.</summary>
[NonParallelizable]
public class GoldenTests
{
    [Test]
    public void When_UpdateModeMeetsADifference_Expect_TheFileRewrittenAndTheTestFailed()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"kh-golden-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var before = Environment.GetEnvironmentVariable("KIRCHHOFFHW_UPDATE_GOLDEN");
        try
        {
            File.WriteAllText(Path.Combine(dir, "a.va"), "old\n");
            Environment.SetEnvironmentVariable("KIRCHHOFFHW_UPDATE_GOLDEN", "1");
            using (new TestExecutionContext.IsolatedContext())
            {
                var failed = Assert.Throws<AssertionException>(() => Golden.AssertMatches("new\n", "a.va", dir))!;
                Assert.That(failed.Message, Does.Contain("was rewritten: review the diff"));
                Assert.Throws<AssertionException>(() => Golden.AssertMatches("made\n", "b.va", dir));
                Assert.DoesNotThrow(() => Golden.AssertMatches("new\n", "a.va", dir), "a file that already matches passes");
            }
            Assert.That(File.ReadAllText(Path.Combine(dir, "a.va")), Is.EqualTo("new\n"));
            Assert.That(File.ReadAllText(Path.Combine(dir, "b.va")), Is.EqualTo("made\n"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("KIRCHHOFFHW_UPDATE_GOLDEN", before);
            Directory.Delete(dir, recursive: true);
        }
    }
}
