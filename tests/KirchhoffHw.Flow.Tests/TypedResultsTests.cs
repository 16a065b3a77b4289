using KirchhoffHw.Model;

namespace KirchhoffHw.Flow.Tests;

/// <summary>Typed fidelities as verdict files write and read them.</summary>
public class TypedResultsTests
{
    [TestCase("ideal")]
    [TestCase("macro (ptm45hp, typical)")]
    [TestCase("transistor (my_pdk, ss)")]
    public void When_A_Fidelity_Label_Is_Read_Back_Expect_The_Same_Label(string label)
    {
        var f = CircuitFidelity.Parse(label);
        Assert.That(f, Is.Not.Null);
        Assert.That(f!.ToString(), Is.EqualTo(label));
        Assert.That(f.Key, Is.EqualTo(label.Split(' ')[0]));
    }

    [Test]
    public void When_A_Label_Is_Not_A_Fidelity_Expect_Null_And_Kinds_Keep_Their_Technology()
    {
        Assert.That(CircuitFidelity.Parse("quantum"), Is.Null);
        Assert.That(CircuitFidelity.Parse("macro (ptm45hp"), Is.Null);
        Assert.That(CircuitFidelity.Parse("ideal (ptm45hp, typical)"), Is.Null, "ideal laws have no technology");
        var m = CircuitFidelity.Of(Fidelity.Macro, "ptm45hp", "typical");
        Assert.That((m.Kind, m.Technology, m.Corner, m.UsesCells), Is.EqualTo((Fidelity.Macro, "ptm45hp", "typical", true)));
        Assert.That(CircuitFidelity.Of(Fidelity.Ideal, "ptm45hp", "typical"), Is.SameAs(CircuitFidelity.Ideal));
    }
}
