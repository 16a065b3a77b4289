using KirchhoffHw.Generate;
using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Generate.Templating;
using KirchhoffHw.Model;

namespace KirchhoffHw.Cells;

/// <summary>The circuit a fidelity asks for: the design whose laws the deck writes, and the netlist replacing its banks (transistor only).</summary>
public sealed record Lowered(Fidelity Fidelity, Design Circuit, IDeviceNetlist? Netlist, CellLibrary? Library)
{
    /// <summary>The fidelity the circuit was built at, with the technology and corner of its cells.</summary>
    public CircuitFidelity Built => Library is null || Fidelity == Fidelity.Ideal ? CircuitFidelity.Ideal
        : CircuitFidelity.Of(Fidelity, Library.Tech.Name, Library.Tech.Corner);

    /// <summary>The supply rails (V, from node 0) the node voltages must stay inside: the technology's for MOS cells, none for ideal laws.</summary>
    public (double Low, double High)? Rails => Built.UsesCells ? (Library!.Tech.Vss, Library.Tech.Vdd) : null;

    /// <summary>
    /// Spice options with the transistor netlist attached when there is one. Its phase edges are at least 1e-3 of a
    /// time unit: a transistor tail switched in femtoseconds (the ideal deck's 1e-6) stalls ngspice's step control.
    /// </summary>
    public SpiceOptions Apply(SpiceOptions spice) => Netlist switch
    {
        null => spice,
        RegulatedNetlist => spice with
        {
            Devices = Netlist, PhaseEdge = Math.Max(spice.PhaseEdge, RegulatedNetlist.Ramp),
            SimulatorOptions = RegulatedNetlist.SimulatorOptions(Circuit.Units, spice.SimulatorOptions),
        },
        _ => spice with { Devices = Netlist, PhaseEdge = Math.Max(spice.PhaseEdge, 1e-3) },
    };
}

/// <summary>
/// The lowering passes ideal -> macro -> transistor. Macro replaces each layer's device model by its fitted
/// cell (<see cref="CellMacroModel"/>) with per-device realized parameters, so the reference, the deck writer and
/// the verifier all run it unchanged. Transistor keeps the ideal design for nodes, phases and inputs and hands
/// the deck writer a netlist of transistor cells sized from the same fit.
/// </summary>
public static class Lowering
{
    /// <param name="ranges">Largest |voltage| (model units) of each node in each layer's time slice, from <see cref="OperatingRange"/>: sets each device's input range and so its gain and bias. Null = 1 everywhere.</param>
    public static Lowered Lower(Design ideal, Fidelity fidelity, CellLibrary? library, NodeRanges? ranges = null, TemplateSet? templates = null)
    {
        if (fidelity == Fidelity.Ideal) return new Lowered(fidelity, ideal, null, library);
        ArgumentNullException.ThrowIfNull(library);
        var range = ranges ?? OperatingRange.Uniform(ideal, 1.0);
        if (fidelity == Fidelity.Macro) return new Lowered(fidelity, Macro(ideal, library, range), null, library);
        // the v2 cells where they build every layer's law; the per-device OTA and rectifier cells otherwise
        IDeviceNetlist netlist = RegulatedNetlist.Builds(ideal)
            ? new RegulatedNetlist(library.Tech, templates)
            : new TransistorNetlist(library, templates ?? TemplateSet.Default, range);
        return new Lowered(fidelity, ideal, netlist, library);
    }

    /// <summary>Input range of device e of a layer, from its terminals' node ranges.</summary>
    public static double DeviceRange(Layer layer, int e, double[] p, IReadOnlyList<double> nodeRange) =>
        CellLibrary.InputRange(layer.Model, p, nodeRange[layer.Edges.Source[e]], nodeRange[layer.Edges.Destination[e]]);

    public static Design Macro(Design ideal, CellLibrary library, NodeRanges ranges)
    {
        var units = ideal.Units;
        var layers = ideal.Layers.Select((layer, li) =>
        {
            var nodeRange = ranges.For(li);
            var kind = CellKind.For(layer.Model);
            var fits = kind.Parts.Select(library.FitOf).ToArray();
            var model = new CellMacroModel(layer.Model, fits, Names.Identifier(library.Tech.Name));
            int n = layer.Edges.Count, np = model.ParameterCount;
            var theta = new double[np * n];
            Parallel.For(0, n, e =>
            {
                var p = layer.ParametersOf(e);
                var (a, b, c, amplitude) = CellKind.AffineOf(layer.Model, p);
                var sizes = library.Size(layer.Model, p, units, DeviceRange(layer, e, p, nodeRange));
                theta[0 * n + e] = a;
                theta[1 * n + e] = b;
                theta[2 * n + e] = c;
                for (int j = 0; j < sizes.Length; j++)
                {
                    theta[(3 + 2 * j) * n + e] = sizes[j].Gain;
                    theta[(4 + 2 * j) * n + e] = Math.Sign(amplitude) * sizes[j].BiasCurrent / units.CurrentScale;
                }
            });
            return new Layer(layer.TStart, layer.TEnd, model, layer.Edges, theta);
        }).ToList();
        return ideal.With(layers: layers);
    }
}
