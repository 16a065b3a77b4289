using KirchhoffHw.Testing;

/// <summary>
/// Every test run characterizes cells into a cache of its own, so a warm cache from an earlier run (or from a
/// user's ~/.cache) can never hide a change to the cells, the sweep or the trim. `make test` gives all test
/// projects of one run one folder (KIRCHHOFFHW_TEST_CACHE); a project run alone gets a fresh one, removed after.
/// Outside any namespace, so NUnit runs it once around every test of the assembly.
/// </summary>
[SetUpFixture]
public sealed class TestRunCache
{
    [OneTimeSetUp]
    public void Create()
    {
        var shared = Environment.GetEnvironmentVariable("KIRCHHOFFHW_TEST_CACHE");
        RepoPaths.Cache = shared is { Length: > 0 } ? shared : Path.Combine(Path.GetTempPath(), $"kirchhoffhw-test-cache-{Environment.ProcessId}-{Guid.NewGuid():N}");
        _owned = shared is not { Length: > 0 };
        Directory.CreateDirectory(RepoPaths.Cache);
        Environment.SetEnvironmentVariable("KIRCHHOFFHW_CACHE", RepoPaths.Cache);
    }

    private bool _owned;

    [OneTimeTearDown]
    public void Remove()
    {
        if (_owned && Directory.Exists(RepoPaths.Cache)) Directory.Delete(RepoPaths.Cache, recursive: true);
    }
}
