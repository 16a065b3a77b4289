using KirchhoffHw.Cells;
using KirchhoffHw.Import;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;

namespace KirchhoffHw.Flow.Tests;

/// <summary>Counts the reference solves a stage makes, by the options they were made at.</summary>
internal sealed class CountingSolver : IReferenceSolver
{
    private readonly List<(SolverOptions Options, int Cases)> _calls = [];

    public IReadOnlyList<(SolverOptions Options, int Cases)> Calls { get { lock (_calls) return _calls.ToList(); } }

    public ReferenceResult Solve(Design design, IReadOnlyList<double[]> inputs, SolverOptions options, IReadOnlyList<double>? sampleTimes = null,
        IProgress<int>? casesDone = null, CancellationToken cancel = default)
    {
        lock (_calls) _calls.Add((options, inputs.Count));
        return ReferenceSolver.Default.Solve(design, inputs, options, sampleTimes, casesDone, cancel);
    }
}

/// <summary>A characterizer that must not be asked: a run that needs no cells proves it by not failing.</summary>
internal sealed class ForbiddenCharacterizer : ICharacterizer
{
    public Characterization Get(CellTopology topology, bool useCache = true) =>
        throw new InvalidOperationException($"characterized {topology.Title} in a run that needs no cells");
}

internal static class Designs
{
    public static Design Tiny => ModelLoader.Load(Path.Combine(RepoPaths.Designs, "tiny.yaml")).Design.With(units: new Units(1e-12, 1e-6, 0.2));

    /// <summary>Characterizations of this test run, kept out of the user's cache.</summary>
    public static readonly string Cache = Path.Combine(Path.GetTempPath(), "kirchhoffhw-flow-tests-" + Environment.ProcessId);

    public static ICharacterizer Cached(Technology tech) => new Characterizer(tech, Cache);
}

/// <summary>Removes this run's private characterization cache.</summary>
[SetUpFixture]
public sealed class CacheCleanup
{
    [OneTimeTearDown]
    public void Remove()
    {
        if (Directory.Exists(Designs.Cache)) Directory.Delete(Designs.Cache, recursive: true);
    }
}
