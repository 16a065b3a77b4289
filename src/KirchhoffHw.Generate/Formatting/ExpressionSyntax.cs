using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Generate.Formatting;

/// <summary>
/// Renders a device law (<see cref="Expr"/>) in one dialect's expression language. Dialects override only
/// the spellings that differ; the tree walk, parenthesization and number formatting are shared.
/// </summary>
public abstract class ExpressionSyntax
{
    /// <summary>vs, vd: rendered operand texts for the source and destination voltage; p: rendered parameter texts.</summary>
    public string Render(Expr law, string vs, string vd, IReadOnlyList<string> p) => Walk(law, vs, vd, p);

    protected virtual string Tanh(string x) => $"tanh({x})";
    protected virtual string Relu(string x) => $"max({x}, 0)";
    protected virtual string Leaky(string x, string slope) => $"({x} > 0 ? {x} : {slope} * ({x}))";
    protected virtual string Lookup(string x, Table table) =>
        throw new NotSupportedException("this dialect has no table lookup: macro-fidelity laws are written for ngspice only");

    private string Walk(Expr e, string vs, string vd, IReadOnlyList<string> p) => e switch
    {
        Var v => v.Kind == VarKind.Source ? vs : vd,
        Param q => p[q.Index],
        Const c => Numbers.Operand(c.Value),
        Binary b => $"({Walk(b.Left, vs, vd, p)} {b.Op switch { BinaryOp.Add => "+", BinaryOp.Subtract => "-", _ => "*" }} {Walk(b.Right, vs, vd, p)})",
        Call c => c.Function == Function.Tanh ? Tanh(Walk(c.Argument, vs, vd, p)) : Relu(Walk(c.Argument, vs, vd, p)),
        Leaky l => Leaky(Walk(l.Argument, vs, vd, p), Numbers.Operand(l.Slope)),
        Table t => Lookup(Walk(t.Argument, vs, vd, p), t),
        _ => throw new NotSupportedException($"expression node {e.GetType().Name}"),
    };
}

/// <summary>ngspice B-source expressions: `uramp` is ReLU with the unit step as its derivative, which ngspice differentiates cleanly.</summary>
public sealed class NgspiceExpressionSyntax : ExpressionSyntax
{
    public static readonly NgspiceExpressionSyntax Instance = new();
    protected override string Relu(string x) => $"uramp({x})";
    protected override string Leaky(string x, string slope) => $"(uramp({x}) - {slope} * uramp(-({x})))";

    /// <summary>ngspice's pwl() extrapolates its end segments, so a flat point far outside each end keeps the table flat there.</summary>
    protected override string Lookup(string x, Table t)
    {
        double span = t.Xs[^1] - t.Xs[0];
        var points = new List<string> { $"{Numbers.Format(t.Xs[0] - 100 * span)}, {Numbers.Format(t.Ys[0])}" };
        for (int i = 0; i < t.Xs.Length; i++) points.Add($"{Numbers.Format(t.Xs[i])}, {Numbers.Format(t.Ys[i])}");
        points.Add($"{Numbers.Format(t.Xs[^1] + 100 * span)}, {Numbers.Format(t.Ys[^1])}");
        return $"pwl({x}, {string.Join(", ", points)})";
    }
}

/// <summary>
/// Verilog-A analog expressions. Literals are written as reals so no simulator applies integer arithmetic, and
/// the leaky law is a conditional expression: ADMS and the AMS simulators accept `?:` on analog values in a
/// contribution, which keeps each device module a single branch contribution.
/// </summary>
public sealed class VerilogAExpressionSyntax : ExpressionSyntax
{
    public static readonly VerilogAExpressionSyntax Instance = new();
    protected override string Relu(string x) => $"max({x}, 0.0)";
    protected override string Leaky(string x, string slope) => $"({x} > 0.0 ? {x} : {slope} * {x})";
}
