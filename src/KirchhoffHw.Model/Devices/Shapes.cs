namespace KirchhoffHw.Model.Devices;

/// <summary>A shape a circuit's output can follow; every activation is a weighted sum of them (<see cref="Shapes.Of"/>).</summary>
public enum Shape { Tanh, Relu, Identity }

public static class Shapes
{
    public static double Apply(Shape shape, double u) => shape switch
    {
        Shape.Tanh => Math.Tanh(u),
        Shape.Relu => Math.Max(u, 0),
        _ => u,
    };

    /// <summary>
    /// An activation as a sum of shapes: leaky ReLU is (1 - slope) relu(u) + slope u, so a cell library that
    /// realizes the three shapes realizes every family.
    /// </summary>
    public static IReadOnlyList<(Shape Shape, double Weight)> Of(DeviceFamily family) => family switch
    {
        DeviceFamily.Tanh => [(Shape.Tanh, 1.0)],
        DeviceFamily.Relu => [(Shape.Relu, 1.0)],
        DeviceFamily.LeakyRelu => [(Shape.Relu, 1.0 - Activations.LeakySlope), (Shape.Identity, Activations.LeakySlope)],
        DeviceFamily.Linear => [(Shape.Identity, 1.0)],
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "no shapes for this family"),
    };
}
