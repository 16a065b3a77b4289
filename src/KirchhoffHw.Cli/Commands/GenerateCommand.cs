using System.CommandLine;
using KirchhoffHw.Generate;
using KirchhoffHw.Generate.Dialects.Ngspice;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;

namespace KirchhoffHw.Cli.Commands;

internal static class GenerateCommand
{
    public static Command Create(Console console)
    {
        var io = new ModelInputs();
        var circuit = new CircuitOptions();
        var caseIndex = new Option<int>("--case") { Description = "Which input vector of --inputs/--random becomes the initial state (default 0; no inputs = all nodes at 0 V).", DefaultValueFactory = _ => 0 };
        var format = new Option<string>("--format") { Description = "spice (ngspice deck), verilog-ams, or all.", DefaultValueFactory = _ => "spice" };
        var output = new Option<string>("--output", "-o") { Description = "The deck file for --format spice; a directory for verilog-ams and all.", Required = true };
        var command = new Command("generate", "Write the circuit as an ngspice deck and/or Verilog-AMS (ideal fidelity: exact device laws).\n" +
            "Node k is net n<k> in every output; layer L's phase is ph<L>.");
        io.AddTo(command);
        circuit.AddTo(command);
        foreach (var option in new Option[] { caseIndex, format, output }) command.Options.Add(option);
        command.SetAction(r =>
        {
            var imported = io.Load(r);
            var design = circuit.Apply(r, imported.Design);
            var (vectors, origin) = io.Read(r, design, required: false);
            int index = r.GetValue(caseIndex);
            if (vectors.Length > 0 && (index < 0 || index >= vectors.Length))
                throw new KirchhoffHwException("<options>", $"--case {index} is out of range: there are {vectors.Length} inputs");
            double[] input = vectors.Length == 0 ? [] : vectors[index];
            var spice = circuit.Spice(r) with
            {
                Input = input,
                Notes = [$"source: {imported.Source}", vectors.Length == 0 ? "input: none (all nodes start at 0 V)" : $"input: case {index} of {origin}"],
            };
            var target = r.GetValue(output)!;
            var kind = r.GetValue(format)!.ToLowerInvariant();
            if (kind is not ("spice" or "verilog-ams" or "all"))
                throw new KirchhoffHwException("<options>", $"--format '{Generate.Formatting.Names.CommentText(kind)}' is not spice, verilog-ams or all");
            if (kind is "spice" or "all")
            {
                var deckPath = kind == "all" ? Path.Combine(target, Generate.Formatting.Names.Identifier(design.Name) + ".cir") : target;
                var clock = System.Diagnostics.Stopwatch.StartNew();
                DeckSummary? summary = null;
                AtomicFile.WriteText(deckPath, w => summary = new NgspiceEmitter().Write(design, spice, w));
                console.Out.WriteLine($"wrote {deckPath}: {summary!.Style.ToString().ToLowerInvariant()} style, {summary.Elements} device elements, " +
                    $"{new FileInfo(deckPath).Length} bytes, {clock.Elapsed.TotalSeconds:F2} s");
            }
            if (kind is "verilog-ams" or "all")
                foreach (var file in VerilogAms.Write(design, input, target))
                    console.Out.WriteLine($"wrote {file}");
            return App.ExitOk;
        });
        return command;
    }
}
