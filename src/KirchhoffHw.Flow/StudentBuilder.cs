using KirchhoffHw.Calibration;
using KirchhoffHw.Cells;
using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Model;

namespace KirchhoffHw.Flow;

/// <summary>
/// A calibration's student: the circuit the optimizer moves (the teacher's topology with cell laws), the ranges its
/// parameters may take and one trim per node, and the way back from a calibrated student to a design file's laws.
/// </summary>
/// <param name="ToDesign">The calibrated student as a design the other verbs accept (ideal laws, node trims kept).</param>
public sealed record Student(string Kind, Design Circuit, IReadOnlyList<LayerBounds> Bounds, TrimBounds? Trims, Func<Design, Design> ToDesign);

/// <summary>
/// Builds the student a design is calibrated as, from the teacher in the calibration's units and the node ranges its
/// reference reaches on the training inputs. The one seam between the calibration and the cell models: a pin-level
/// cell model is one more implementation.
/// </summary>
public interface IStudentBuilder
{
    Student Build(Design teacher, CellLibrary library, NodeRanges ranges);
}

/// <summary>
/// The two-terminal student (<see cref="CellStudentModel"/>): each device the characterized curve of its cell, one
/// current through both pins (no mismatch, no output conductance), sized as <see cref="Lowering.Macro"/> sizes the trained device, in the ideal law's own parameters. Free:
/// every ideal parameter within +-<see cref="Width"/> (|x0| + the layer's RMS of it), and a trim per node within
/// <see cref="TrimFraction"/> of the node's device currents; the sizing stays as first built.
/// </summary>
public sealed class FittedCellStudentBuilder : IStudentBuilder
{
    public double Width { get; init; } = 0.5;
    public double TrimFraction { get; init; } = 0.05;
    public double TrimCost { get; init; } = 1e-3;

    public Student Build(Design teacher, CellLibrary library, NodeRanges ranges)
    {
        var units = teacher.Units;
        var layers = teacher.Layers.Select((layer, li) =>
        {
            var kind = CellKind.For(layer.Model);
            var fits = kind.Parts.Select(library.FitOf).ToArray();
            var model = new CellStudentModel(layer.Model, fits, Names.Identifier(library.Tech.Name));
            int n = layer.Edges.Count, k = layer.Model.ParameterCount, np = model.ParameterCount;
            var theta = new double[np * n];
            var nodeRange = ranges.For(li);
            for (int e = 0; e < n; e++)
            {
                var p = layer.ParametersOf(e);
                double range = Lowering.DeviceRange(layer, e, p, nodeRange);
                var frozen = CellStudentModel.FrozenParts(p, layer.Model, fits, library.Size(layer.Model, p, units, range), units.CurrentScale, range);
                for (int i = 0; i < k; i++) theta[i * n + e] = p[i];
                for (int i = 0; i < frozen.Length; i++) theta[(k + i) * n + e] = frozen[i];
            }
            return new Layer(layer.TStart, layer.TEnd, model, layer.Edges, theta);
        }).ToList();
        return InIdealParameters("fitted cells", teacher, layers, Width, TrimBounds.FromDeviceCurrents(teacher, TrimFraction, TrimCost));
    }

    /// <summary>
    /// A student whose layers carry the teacher's ideal parameters first (free within +-width) and frozen cell values
    /// after them; calibrated, it is the teacher's laws with the calibrated ideal parameters and the node trims.
    /// </summary>
    internal static Student InIdealParameters(string kind, Design teacher, List<Layer> layers, double width, TrimBounds trims)
    {
        var circuit = teacher.With(layers: layers, name: teacher.Name).WithNodeTrims(null).WithCalibration(null);
        var bounds = circuit.Layers.Select((l, li) => LayerBounds.Around(l, Enumerable.Range(0, teacher.Layers[li].Model.ParameterCount), width)).ToList();
        return new Student(kind, circuit, bounds, trims, calibrated =>
            teacher.With(layers: teacher.Layers.Select((t, li) =>
            {
                int n = t.Edges.Count;
                return new Layer(t.TStart, t.TEnd, t.Model, t.Edges, calibrated.Layers[li].Theta.AsSpan(0, t.Model.ParameterCount * n).ToArray());
            }).ToList()).WithNodeTrims(calibrated.NodeTrims));
    }
}

/// <summary>
/// The student macro fidelity builds (<see cref="PinStudentModel"/>): each device its cell's pin-level law (mismatch
/// and output conductance included; the v2 cells' law with the drivers' curve for designs the v2 deck builds), sized as
/// <see cref="Lowering.PinMacro"/> sizes the trained device, in the ideal
/// law's own parameters, so the calibrated design lowered again is the circuit that was calibrated. Free: every ideal
/// parameter within +-<see cref="Width"/> (|x0| + the layer's RMS of it), and a trim per node within
/// <see cref="TrimFraction"/> of the node's device currents; the sizing stays as first built.
/// </summary>
public sealed class PinCellStudentBuilder : IStudentBuilder
{
    public double Width { get; init; } = 0.5;
    public double TrimFraction { get; init; } = 0.05;
    public double TrimCost { get; init; } = 1e-3;

    public Student Build(Design teacher, CellLibrary library, NodeRanges ranges)
    {
        // the v2 cells where the transistor deck builds them (their law reads the drivers' curve and the deck's input map)
        bool v2 = RegulatedNetlist.Builds(teacher);
        var macro = Lowering.PinMacro(teacher, library, ranges);
        var maps = v2 ? library.Regulated.InputMaps(teacher) : null;
        var layers = teacher.Layers.Select((layer, li) =>
        {
            var cell = (PinMacroModel)macro.Layers[li].Model;
            var model = new PinStudentModel(layer.Model, cell, inputMap: v2);
            int n = layer.Edges.Count, k = layer.Model.ParameterCount, parts = cell.Parts.Count;
            var theta = new double[model.ParameterCount * n];
            for (int e = 0; e < n; e++)
            {
                var p = layer.ParametersOf(e);
                var frozen = PinStudentModel.FrozenParts(p, layer.Model, macro.Layers[li].ParametersOf(e), parts);
                for (int i = 0; i < k; i++) theta[i * n + e] = p[i];
                for (int i = 0; i < frozen.Length; i++) theta[(k + i) * n + e] = frozen[i];
                if (maps is not null)
                    for (int i = 0; i < 4; i++) theta[(model.InputMapOffset + i) * n + e] = maps[li][i * n + e];
            }
            return new Layer(layer.TStart, layer.TEnd, model, layer.Edges, theta);
        }).ToList();
        // the kind names the settling the v2 law carries, so the design's calibration record says what it was fitted to
        double lag = v2 ? RegulatedFamily.LagIn(teacher).Lag : 0;
        string kind = !v2 ? "pin-level cells" : lag > 0 ? $"v2 pin-level cells, settling lag {Numbers.Format(lag * teacher.Units.TimeUnit)} s" : "v2 pin-level cells";
        return FittedCellStudentBuilder.InIdealParameters(kind, teacher, layers, Width, TrimBounds.FromDeviceCurrents(teacher, TrimFraction, TrimCost));
    }
}
