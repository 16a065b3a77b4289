using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using KirchhoffHw.Generate;
using KirchhoffHw.Generate.Dialects.Ngspice;
using KirchhoffHw.Import;
using KirchhoffHw.Import.Cases;
using KirchhoffHw.Model;
using KirchhoffHw.Reference;

namespace KirchhoffHw.Simulate.Tests.CoSim;

/// <summary>
/// The full mnist deck (460,136 devices as 56,570 merged sources at 1 pF / 1 ns), checked through its right-hand
/// side: every node is held at a known state by a source in place of its capacitor, one phase gate is on, and
/// the current each node's source carries must be C x dv/dt of the reference at that state, node by node. The
/// device banks are the emitted deck's lines, unchanged, so every device law, every merged pwl table and both
/// phase gates take part, with no step-size error in the comparison. A transient of the mnist deck costs
/// ngspice about a second per time point and at least sixty points; this costs one short, trivially converging
/// run (the transient path itself is checked on twomoon and spiral, and measured on mnist by make bench).
/// </summary>
public partial class MnistDeckTests
{
    [Test]
    public void When_The_Mnist_Deck_Holds_A_State_Expect_Each_Node_Current_To_Be_The_Reference_Right_Hand_Side()
    {
        var design = CheckpointImporter.Load(RepoPaths.Model("mnist", "model.pth")).Design.With(units: new Units(1e-12, 1e-9));
        var input = CaseFile.Read(RepoPaths.Model("mnist", "vectors.json")).Cases[0].Input;
        var deck = new NgspiceEmitter().FormatDeck(design, SpiceOptions.Default with { Input = input });

        // layer 0 at the input; layer 1 where the network hands it over, at the end of layer 0 (any state would
        // do for comparing laws: this one puts the tables where the trained network works)
        var start = new double[design.NodeCount];
        design.Input.Apply(input, start);
        var handover = ReferenceSolver.Solve(design, [input], SolverOptions.Dopri5(1e-6)).Cases[0].Boundaries[0].State;
        var states = new[] { start, handover };
        using var sim = new Ngspice.NgspiceShared();
        var result = sim.Run(new SimulationRequest(Held(deck, design, states), Enumerable.Range(1, design.NodeCount).Select(k => $"i(vc{k})").ToList(), TimeSpan.FromMinutes(10)));
        Assert.That(result.Status, Is.EqualTo(SimulationStatus.Ok), result.Message + "\n" + result.Log[..Math.Min(result.Log.Length, 2000)]);

        for (int layer = 0; layer < 2; layer++)
        {
            // each layer's state holds until the end of its slot, a simulator time point (a PWL corner)
            int at = Array.FindLastIndex(result.Time, t => t <= (layer + 1) * Slot * (1 + 1e-12));
            Assert.That(result.Time[at], Is.EqualTo((layer + 1) * Slot).Within(1e-9).Percent, $"layer {layer}'s slot ends on a time point");
            var want = RightHandSide(design.Layers[layer], design.NodeCount, states[layer]);
            double scale = want.Max(Math.Abs), worst = 0;
            int worstNode = 0;
            for (int k = 0; k < design.NodeCount; k++)
            {
                // a source's current flows into its + node from the circuit: what the devices put into the node
                double got = result.Vectors[$"i(vc{k + 1})"][at] / design.Units.CurrentScale;
                double diff = Math.Abs(got - want[k]);
                if (diff > worst) (worst, worstNode) = (diff, k + 1);
            }
            TestContext.Out.WriteLine($"layer {layer}: largest node current {scale:G4} model units, worst difference {worst:G3} (node {worstNode})");
            Assert.That(scale, Is.GreaterThan(0), "the state drives currents");
            Assert.That(worst, Is.LessThanOrEqualTo(1e-9 * scale), $"layer {layer}: node {worstNode} is off by {worst:G3} of {scale:G3} (model units)");
        }
    }

    /// <summary>How long (s) each layer's state is held; the switch between them takes a thousandth of it.</summary>
    private const double Slot = 1e-9;

    /// <summary>dv/dt of every node at <paramref name="state"/>, summed device by device from the model's own law.</summary>
    private static double[] RightHandSide(Layer layer, int nodes, double[] state)
    {
        var f = new double[nodes + 1];
        var p = new double[layer.Model.ParameterCount];
        for (int e = 0; e < layer.Edges.Count; e++)
        {
            int s = layer.Edges.Source[e], d = layer.Edges.Destination[e];
            for (int i = 0; i < p.Length; i++) p[i] = layer.Theta[i * layer.Edges.Count + e];
            double current = layer.Model.Current(s == 0 ? 0 : state[s - 1], d == 0 ? 0 : state[d - 1], p);
            f[s] -= current;
            f[d] += current;
        }
        return f[1..];
    }

    [GeneratedRegex(@"^C(?<k>\d+) n\k<k> 0 \S+$")]
    private static partial Regex Capacitor();

    [GeneratedRegex(@"^Vph(?<l>\d+) ph\k<l> 0 PWL\(")]
    private static partial Regex Phase();

    /// <summary>
    /// The emitted deck with each node's capacitor replaced by a source holding <paramref name="states"/> (one per
    /// layer, volts), the phases switched so that only layer L's bank conducts during slot L, and a transient over
    /// both slots. Every other line, the device banks included, is kept as written.
    /// </summary>
    private static string Held(string deck, Design design, double[][] states)
    {
        string T(double t) => t.ToString("R", CultureInfo.InvariantCulture);
        // value v_L over slot L, stepping to the next over the first thousandth of the next slot
        string Pwl(Func<int, double> v) => "PWL(0 " + T(v(0)) + string.Concat(Enumerable.Range(1, states.Length - 1)
            .Select(l => $" {T(l * Slot)} {T(v(l - 1))} {T(l * Slot * 1.001)} {T(v(l))}")) + ")";
        var output = new StringBuilder(deck.Length);
        int capacitors = 0, phases = 0, transients = 0;
        foreach (var line in deck.Split('\n'))
        {
            if (Capacitor().Match(line) is { Success: true } c)
            {
                int k = int.Parse(c.Groups["k"].Value, CultureInfo.InvariantCulture);
                output.Append(CultureInfo.InvariantCulture, $"VC{k} n{k} 0 {Pwl(l => states[l][k - 1] * design.Units.VoltageScale)}\n");
                capacitors++;
            }
            else if (Phase().Match(line) is { Success: true } ph)
            {
                int l = int.Parse(ph.Groups["l"].Value, CultureInfo.InvariantCulture);
                output.Append(CultureInfo.InvariantCulture, $"Vph{l} ph{l} 0 {Pwl(slot => slot == l ? 1 : 0)}\n");
                phases++;
            }
            else if (line.StartsWith(".ic ", StringComparison.Ordinal)) continue;
            else if (line.StartsWith(".tran ", StringComparison.Ordinal))
            {
                output.Append($".tran {T(Slot)} {T(states.Length * Slot)} 0 {T(Slot)}\n");
                transients++;
            }
            else output.Append(line).Append('\n');
        }
        Assert.That((capacitors, phases, transients), Is.EqualTo((design.NodeCount, design.Layers.Count, 1)), "the deck's capacitors, phase sources and .tran, as the emitter writes them");
        return output.ToString();
    }
}
