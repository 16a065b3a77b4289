using KirchhoffHw.Generate.Formatting;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Generate.Tests.Spice;

public class FormattingTests
{
    [TestCase(0.0, "0")]
    [TestCase(1.0, "1")]
    [TestCase(-0.5, "-0.5")]
    [TestCase(1e-12, "1E-12")]
    [TestCase(1e6, "1000000")]
    [TestCase(0.1 + 0.2, "0.30000000000000004")]
    public void When_Formatting_A_Number_Expect_Exponent_Notation_Without_Si_Suffix(double value, string expected) =>
        Assert.That(Numbers.Format(value), Is.EqualTo(expected));

    [Test]
    public void When_Formatting_Any_Double_Expect_It_To_Round_Trip()
    {
        var rng = new Random(3);
        for (int i = 0; i < 1000; i++)
        {
            double v = (rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-30, 30));
            Assert.That(double.Parse(Numbers.Format(v), System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(v));
        }
    }

    [TestCase(double.NaN)]
    [TestCase(double.PositiveInfinity)]
    public void When_Formatting_A_Non_Finite_Number_Expect_An_Error(double value) =>
        Assert.Throws<KirchhoffHwException>(() => Numbers.Format(value));

    [Test]
    public void When_A_Negative_Number_Is_An_Operand_Expect_Parentheses() =>
        Assert.That(Numbers.Operand(-2.5), Is.EqualTo("(-2.5)"));

    // SPICE's own reading of scale suffixes: m is milli, meg is mega, trailing unit letters are ignored.
    [TestCase("1p", 1e-12)]
    [TestCase("1pF", 1e-12)]
    [TestCase("1n", 1e-9)]
    [TestCase("1ns", 1e-9)]
    [TestCase("2.5u", 2.5e-6)]
    [TestCase("1m", 1e-3)]
    [TestCase("1meg", 1e6)]
    [TestCase("1e-12", 1e-12)]
    [TestCase("3", 3.0)]
    [TestCase("1k", 1e3)]
    public void When_Parsing_Engineering_Notation_Expect_Spice_Semantics(string text, double expected) =>
        Assert.That(Numbers.ParseEngineering(text), Is.EqualTo(expected).Within(1e-12).Percent);

    [TestCase("")]
    [TestCase("p")]
    [TestCase("1p\n.control")]
    [TestCase("nan")]
    [TestCase("1 2")]
    public void When_Parsing_Garbage_Expect_Null(string text) => Assert.That(Numbers.ParseEngineering(text), Is.Null);

    [TestCase("mnist", "mnist")]
    [TestCase("two moon", "two_moon")]
    [TestCase("9lives", "_9lives")]
    [TestCase("a\n.control", "a__control")]
    [TestCase("", "design")]
    public void When_Making_An_Identifier_Expect_Only_Safe_Characters(string text, string expected) =>
        Assert.That(Names.Identifier(text), Is.EqualTo(expected));

    [Test]
    public void When_Comment_Text_Has_Line_Breaks_Expect_One_Line() =>
        Assert.That(Names.CommentText("x\r\n.control\nshell rm"), Does.Not.Contain("\n").And.Not.Contain("\r"));

    [TestCase(0, "0")]
    [TestCase(7, "n7")]
    public void When_Naming_A_Node_Expect_Ground_Or_N_Number(int node, string expected) =>
        Assert.That(Names.Node(node), Is.EqualTo(expected));

    private static readonly Expr Tanh2 = new ShiftTanh2().Law; // tanh(vs * p0 + vd * p1 + p2)

    [TestCase(null, "v(n1)", new[] { -0.25, 0.5, -0.125 }, "tanh(v(n1) * 0.5 - 0.125)")]
    [TestCase("v(n1)", null, new[] { -0.25, 0.5, 0.125 }, "tanh(0.125 - v(n1) * 0.25)")]
    [TestCase("v(n1)", "v(n2)", new[] { 1.0, -0.5, 0.0 }, "tanh(v(n1) - v(n2) * 0.5)")]
    [TestCase(null, "v(n1)", new[] { 3.0, 0.0, 0.5 }, "0.46211715726000974")]
    public void When_A_Law_Has_Known_Parameters_Expect_Ground_Zero_And_Unit_Terms_Folded(string? vs, string? vd, double[] p, string expected) =>
        Assert.That(NgspiceExpressionSyntax.Instance.Render(Tanh2, vs, vd, p), Is.EqualTo(expected));

    [Test]
    public void When_Parameters_Are_Texts_Expect_Parentheses_Only_Where_The_Grouping_Needs_Them()
    {
        var law = Expr.P(0) * (Expr.Vs - (Expr.Vd + Expr.P(1))) + Expr.Vs * Expr.P(1);
        Assert.That(NgspiceExpressionSyntax.Instance.Render(law, "v(a)", "v(b)", ["x", "y"]), Is.EqualTo("(x * (v(a) - (v(b) + y)) + v(a) * y)"));
    }
}
