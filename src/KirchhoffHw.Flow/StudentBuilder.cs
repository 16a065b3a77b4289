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
/// The student the fitted cells give (<see cref="CellStudentModel"/>): each device the characterized curve of its
/// cell, sized as <see cref="Lowering.Macro"/> sizes the trained device, in the ideal law's own parameters. Free:
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
        var circuit = teacher.With(layers: layers, name: teacher.Name).WithNodeTrims(null).WithCalibration(null);
        var bounds = circuit.Layers.Select((l, li) => LayerBounds.Around(l, Enumerable.Range(0, teacher.Layers[li].Model.ParameterCount), Width)).ToList();
        return new Student("fitted cells", circuit, bounds, TrimBounds.FromDeviceCurrents(teacher, TrimFraction, TrimCost), calibrated =>
            teacher.With(layers: teacher.Layers.Select((t, li) =>
            {
                int n = t.Edges.Count;
                return new Layer(t.TStart, t.TEnd, t.Model, t.Edges, calibrated.Layers[li].Theta.AsSpan(0, t.Model.ParameterCount * n).ToArray());
            }).ToList()).WithNodeTrims(calibrated.NodeTrims));
    }
}
