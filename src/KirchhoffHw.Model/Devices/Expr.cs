using System.Globalization;

namespace KirchhoffHw.Model.Devices;

/// <summary>
/// A device law as a small expression tree over the source voltage, destination voltage and the device's
/// parameters. Every dialect (ngspice, Verilog-A) renders the law from this one tree, so the generated
/// text and the reference cannot drift apart; <see cref="Evaluate"/> lets tests hold the tree against the
/// hand-written fast kernels.
/// </summary>
public abstract record Expr
{
    public static readonly Expr Vs = new Var(VarKind.Source);
    public static readonly Expr Vd = new Var(VarKind.Destination);
    public static Expr P(int index) => new Param(index);
    public static Expr C(double value) => new Const(value);

    public static Expr operator +(Expr a, Expr b) => new Binary(BinaryOp.Add, a, b);
    public static Expr operator -(Expr a, Expr b) => new Binary(BinaryOp.Subtract, a, b);
    public static Expr operator *(Expr a, Expr b) => new Binary(BinaryOp.Multiply, a, b);
    public static Expr Tanh(Expr x) => new Call(Function.Tanh, x);
    public static Expr Relu(Expr x) => new Call(Function.Relu, x);
    public static Expr LeakyRelu(Expr x, double slope) => new Leaky(x, slope);
    public static Expr Lookup(Expr x, double[] xs, double[] ys) => new Table(x, xs, ys);

    public abstract double Evaluate(double vs, double vd, ReadOnlySpan<double> p);
}

public enum VarKind { Source, Destination }
public enum BinaryOp { Add, Subtract, Multiply }
public enum Function { Tanh, Relu }

public sealed record Var(VarKind Kind) : Expr
{
    public override double Evaluate(double vs, double vd, ReadOnlySpan<double> p) => Kind == VarKind.Source ? vs : vd;
}

public sealed record Param(int Index) : Expr
{
    public override double Evaluate(double vs, double vd, ReadOnlySpan<double> p) => p[Index];
}

public sealed record Const(double Value) : Expr
{
    public override double Evaluate(double vs, double vd, ReadOnlySpan<double> p) => Value;
    public override string ToString() => Value.ToString("R", CultureInfo.InvariantCulture);
}

public sealed record Binary(BinaryOp Op, Expr Left, Expr Right) : Expr
{
    public override double Evaluate(double vs, double vd, ReadOnlySpan<double> p)
    {
        double a = Left.Evaluate(vs, vd, p), b = Right.Evaluate(vs, vd, p);
        return Op switch { BinaryOp.Add => a + b, BinaryOp.Subtract => a - b, _ => a * b };
    }
}

public sealed record Call(Function Function, Expr Argument) : Expr
{
    public override double Evaluate(double vs, double vd, ReadOnlySpan<double> p)
    {
        double x = Argument.Evaluate(vs, vd, p);
        return Function == Function.Tanh ? Math.Tanh(x) : Math.Max(x, 0.0);
    }
}

/// <summary>x for x &gt; 0, Slope * x otherwise.</summary>
public sealed record Leaky(Expr Argument, double Slope) : Expr
{
    public override double Evaluate(double vs, double vd, ReadOnlySpan<double> p)
    {
        double x = Argument.Evaluate(vs, vd, p);
        return x > 0 ? x : Slope * x;
    }
}

/// <summary>
/// A measured curve: linear interpolation in ascending <see cref="Xs"/>, flat beyond the ends (a characterized
/// cell saturates there). Macro-fidelity device laws are built from these.
/// </summary>
public sealed record Table(Expr Argument, double[] Xs, double[] Ys) : Expr
{
    public override double Evaluate(double vs, double vd, ReadOnlySpan<double> p) => At(Argument.Evaluate(vs, vd, p));

    public double At(double x)
    {
        if (x <= Xs[0]) return Ys[0];
        if (x >= Xs[^1]) return Ys[^1];
        int i = Array.BinarySearch(Xs, x);
        if (i >= 0) return Ys[i];
        i = ~i;
        double t = (x - Xs[i - 1]) / (Xs[i] - Xs[i - 1]);
        return Ys[i - 1] + t * (Ys[i] - Ys[i - 1]);
    }
}
