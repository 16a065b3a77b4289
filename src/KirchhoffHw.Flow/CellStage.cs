using KirchhoffHw.Cells;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;

namespace KirchhoffHw.Flow;

/// <summary>
/// The technology a run builds cells in, and its cells, characterized only when something first asks for them: a
/// MOS fidelity to lower to, or a report that sizes cells. An ideal-only run reads the technology file (its rails,
/// densities and limits) and characterizes nothing.
/// </summary>
public sealed class CellStage
{
    private readonly Lazy<Technology> _tech;
    private readonly Lazy<CellLibrary> _library;

    /// <param name="techPath">The technology file; null = the shipped default (<see cref="Explicit"/> false).</param>
    /// <param name="characterizers">How a technology's cells are measured (default: ngspice, cached).</param>
    public CellStage(string? techPath, Func<Technology, ICharacterizer>? characterizers = null)
    {
        Explicit = techPath is not null;
        TechPath = techPath ?? Technology.DefaultPath();
        _tech = new(() => Technology.Load(TechPath));
        _library = new(() => CellLibrary.Build(Technology, (characterizers ?? (t => new Characterizer(t)))(Technology)));
    }

    public string TechPath { get; }

    /// <summary>True when the technology was asked for by name: a report then sizes cells even at ideal fidelity.</summary>
    public bool Explicit { get; }

    public Technology Technology => _tech.Value;

    /// <summary>The technology's characterized and fitted cells (characterized on first use, cached on disk).</summary>
    public CellLibrary Library => _library.Value;

    public bool Characterized => _library.IsValueCreated;

    /// <summary>
    /// The circuit at <paramref name="fidelity"/>: the design itself at ideal fidelity; otherwise lowered onto cells fitted
    /// over the range the reference reaches, with the per-device mapping onto them.
    /// </summary>
    /// <param name="reference">
    /// The reference on the run's inputs, recording <see cref="RangeTimes"/>; not read at ideal fidelity. It may be of
    /// another design of the same topology (a calibrated design's trained network): the cells are then fitted over the
    /// ranges it reaches and the mapping is of <paramref name="design"/>.
    /// </param>
    public (Lowered Lowered, PhysicalMapping? Mapping) Lower(Design design, Fidelity fidelity, ReferenceRun? reference)
    {
        if (fidelity == Fidelity.Ideal) return (Lowering.Lower(design, fidelity, null), null);
        ArgumentNullException.ThrowIfNull(reference);
        var mapping = ReferenceEquals(reference.Design, design) ? Map(reference) : new PhysicalMapping(design, Library, Map(reference).Ranges);
        return (Lowering.Lower(design, fidelity, Library, mapping.Ranges), mapping);
    }

    /// <summary>The design's devices mapped onto the cells over the range its reference reaches (computed once per reference run).</summary>
    public PhysicalMapping Map(ReferenceRun reference)
    {
        lock (_mappings)
        {
            if (!_mappings.TryGetValue(reference, out var mapping))
                _mappings[reference] = mapping = new PhysicalMapping(reference.Design, Library, Ranges(reference));
            return mapping;
        }
    }

    private readonly Dictionary<ReferenceRun, PhysicalMapping> _mappings = new(ReferenceEqualityComparer.Instance);

    /// <summary>How far each node swings in each layer on the reference's inputs: what the cells are fitted and sized over.</summary>
    public static NodeRanges Ranges(ReferenceRun reference) => OperatingRange.Of(reference);

    /// <summary>The times a reference run must record for <see cref="Ranges"/>.</summary>
    public static IReadOnlyList<double> RangeTimes(Design design) => OperatingRange.SampleTimes(design);
}
