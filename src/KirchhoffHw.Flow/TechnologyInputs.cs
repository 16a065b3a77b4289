using KirchhoffHw.Cells;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;
using KirchhoffHw.Reference;
using KirchhoffHw.Report;

namespace KirchhoffHw.Flow;

/// <summary>
/// Device costs from a characterized cell library: each device's cell is sized from its own trained parameters
/// (its bias follows its amplitude and the units), so the sums are exact for the design rather than a bound.
/// </summary>
/// <param name="ranges">Largest |voltage| of each node in each layer on the reference (<see cref="OperatingRange"/>): a
/// device's input range, and so its linear cells' sizing, follows from its terminals' ranges.</param>
public sealed class LibraryCells(CellLibrary library, NodeRanges ranges) : ICellCosts
{
    public string Origin => $"cell library of {library.Tech.Name} ({library.Tech.Corner}): each device sized from its trained parameters";
    public int TransistorsPerDevice(string model) => CellKind.For(Find(model)).TransistorCount;
    public int PhaseSwitchesPerDevice(string model) => CellKind.For(Find(model)).PhaseSwitchesPerDevice;

    private static DeviceModel Find(string name) => DeviceModels.Find(name) ?? throw new KirchhoffHwException("<design>", $"unknown device model {name}");

    public LayerCosts Cost(int index, Layer layer, Units units)
    {
        var nodeRange = ranges.For(index);
        var kind = CellKind.For(layer.Model);
        int n = layer.Edges.Count;
        // Devices are sized in parallel into arrays and summed afterwards in device order, so the totals (and the
        // report) do not depend on thread scheduling.
        var supply = new double[n];
        var area = new double[n];
        var bias = new double[n];
        var bad = new bool[n];
        var built = new bool[n];
        var floor = new double[n];
        var ceiling = new double[n];
        var limit = new string?[n];
        var partMin = new double[n];
        var partMax = new double[n];
        Parallel.For(0, n, e =>
        {
            var p = layer.ParametersOf(e);
            double range = Lowering.DeviceRange(layer, e, p, nodeRange);
            var sizes = library.Size(layer.Model, p, units, range);
            double tail = 0;
            floor[e] = double.NaN;
            ceiling[e] = double.PositiveInfinity;
            partMin[e] = double.PositiveInfinity;
            foreach (var s in sizes)
            {
                tail += s.RequiredBias;
                if (s.RequiredBias > 0) partMin[e] = Math.Min(partMin[e], s.RequiredBias);
                partMax[e] = Math.Max(partMax[e], s.RequiredBias);
                bad[e] |= s.Problem is not null;
                built[e] |= s.WidthScale > 0;
                if (s.Problem is null) continue;
                // What the sizing built a clamped part at is the limit it ran into.
                if (s.BiasCurrent > s.RequiredBias) floor[e] = double.IsNaN(floor[e]) ? s.BiasCurrent : Math.Max(floor[e], s.BiasCurrent);
                else ceiling[e] = Math.Min(ceiling[e], s.BiasCurrent);
                limit[e] ??= s.Problem;
            }
            bias[e] = tail;
            supply[e] = library.BiasCurrent(layer.Model, p, units, range);
            area[e] = library.CellArea(layer.Model, p, units, range);
        });
        long cells = built.LongCount(b => b);
        double raisedTo = floor.Where(f => !double.IsNaN(f)).DefaultIfEmpty(double.NaN).Max();
        double loweredTo = ceiling.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Min();
        return new LayerCosts(supply.Sum(), area.Sum(), cells * kind.TransistorCount, cells * kind.PhaseSwitchesPerDevice,
            bad.LongCount(b => b), n == 0 ? 0 : bias.Where((_, i) => built[i]).DefaultIfEmpty(0).Min(), n == 0 ? 0 : bias.Max(),
            raisedTo, loweredTo, limit.FirstOrDefault(l => l is not null),
            partMin.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Min(), n == 0 ? double.NaN : partMax.Max());
    }
}

/// <summary>Estimate inputs, cell fits and cell plots from a technology file and, when there is one, its characterized cell library.</summary>
public static class TechnologyInputs
{
    /// <summary>A report request whose estimates, cell fits and cell plots come from <paramref name="tech"/> and its library.</summary>
    public static ReportRequest Request(Design design, string source, Technology tech, CellLibrary library, PhysicalMapping mapping,
        ReferenceRun reference, ReferenceResult digital, Reproducibility repro) => new()
    {
        Design = design,
        Source = source,
        Inputs = From(tech, design),
        Cells = _ => new LibraryCells(library, mapping.Ranges),
        Reference = reference,
        Digital = digital,
        CellFits = Fits(library, design, mapping),
        CellFigures = RegulatedNetlist.Builds(design) ? RegulatedFamily.Figures() : [],
        FitAboveBound = mapping.Layers.Sum(l => (long)l.FitAboveBound),
        CellNote = FitNote(tech, mapping),
        CellPlots = CellPlots.IvCurves(library).ToList(),
        Repro = repro,
    };

    /// <summary>
    /// A report request without characterized cells: the technology's rails, densities and counts, every device counted
    /// with its model's cell but none sized, so the report shows what needs no cells and says what would.
    /// </summary>
    public static ReportRequest Unsized(Design design, string source, Technology tech, ReferenceRun reference, ReferenceResult digital, Reproducibility repro)
    {
        var inputs = From(tech, design);
        return new()
        {
            Design = design,
            Source = source,
            Inputs = inputs,
            Cells = _ => new UnsizedCells(inputs),
            Reference = reference,
            Digital = digital,
            CellNote = $"No cells were characterized in this run. Cell-based estimates (device cell area and chip area, static power and energy, " +
                $"device bias currents and their feasibility, the timescale sweep, cell fits) need characterized cells: {ReportView.NeedCells}. " +
                $"Shown without cells: the counts, the reference's node swing against the rails of {tech.Name}, the latency and the precharge, " +
                "switching and read-out energies.",
            Repro = repro,
        };
    }

    /// <summary>Gate of a switch plus its share of the phase line: stated, the technology file has no gate capacitance.</summary>
    public const double SwitchGateCapacitance = 1e-15;

    public static EstimateInputs From(Technology tech, Design design) => new()
    {
        TechName = tech.Name,
        TechSource = tech.File,
        Corner = tech.Corner,
        Vdd = tech.Vdd,
        Vss = tech.Vss,
        MinBiasCurrent = tech.MinBiasCurrent,
        MaxBiasCurrent = tech.MaxBiasCurrent,
        CapacitorDensity = tech.CapacitorDensity,
        SwitchAreaM2 = tech.TransistorArea(tech.Cells.SwitchWidth, tech.MinLength),
        SwitchGateCapacitance = SwitchGateCapacitance,
        PrechargeSwitchesPerNode = CellKind.PrechargeSwitchesPerNode,
        TransistorsPerPrechargeSwitch = CellKind.TransistorsPerPrechargeSwitch,
        Cells = design.Layers.Select(l => l.Model).DistinctBy(m => m.Name).OrderBy(m => m.Name, StringComparer.Ordinal).Select(m =>
        {
            var kind = CellKind.For(m);
            // The unit cell's mean transistor area: what the per-device sizing scales from.
            double unit = kind.Parts.Average(p =>
                (p.Topology.Pmos * tech.TransistorArea(tech.Cells.PmosWidth, tech.Cells.Length)
                 + (p.Topology.Transistors - p.Topology.Pmos) * tech.TransistorArea(tech.Cells.NmosWidth, tech.Cells.Length))
                / p.Topology.Transistors);
            return new CellFigures(m.Name, kind.TransistorCount, kind.PhaseSwitchesPerDevice, unit,
                $"{tech.Name}: {string.Join(" + ", kind.Parts.Select(p => $"{p.Weight:G3} x {p.Topology} ({p.Operation})"))}");
        }).ToList(),
    };

    /// <summary>
    /// The fit error of every cell part the design's device models use (the shape against its target law), then per
    /// layer the error of the devices as built against their trained laws over the operating range.
    /// </summary>
    public static IReadOnlyList<CellFit> Fits(CellLibrary library, Design design, PhysicalMapping mapping) =>
        design.Layers.Select(l => l.Model).DistinctBy(m => m.Name).OrderBy(m => m.Name, StringComparer.Ordinal)
            .SelectMany(m => CellKind.For(m).Parts.Select(p => (m, p, fit: library.FitOf(p))))
            .Select(x => new CellFit(x.m.Name, $"{x.p.Topology} part as {x.p.Operation.ToString().ToLowerInvariant()}, over its fitted input range",
                x.fit.MaxError, x.fit.RmsError, "model units per unit amplitude"))
            .Concat(mapping.Layers.Select(l => new CellFit($"layer {l.Layer} {l.Model}",
                $"{l.Devices} devices as built vs trained law over their nodes' ranges; {l.Unrealizable} not realizable as trained, {l.Omitted} omitted",
                l.MaxFitErrorModel, l.RmsFitErrorModel, "model units", l.MaxFitBoundModel, l.FitAboveBound)))
            .ToList();

    public static string FitNote(Technology tech, PhysicalMapping mapping) =>
        $"Fits of the {tech.Name} cells ({tech.Corner}): first each cell part's fitted shape against its target law, then per layer " +
        $"every device's fitted cell (as sized) against its trained law on a grid of its terminals' voltages, each node over the range the " +
        $"reference reaches on the report's inputs (largest: {Format.Number(mapping.OperatingVolts)} model units).";
}
