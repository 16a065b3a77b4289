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
        var io = new ModelInputs(console);
        var circuit = new CircuitOptions();
        var cells = new FidelityOptions();
        var caseIndex = new Option<int>("--case") { Description = "Which input vector of --inputs/--random becomes the initial state (default 0; no inputs = all nodes at 0 V).", DefaultValueFactory = _ => 0 }
            .Check((name, v) => OptionValues.AtLeast(name, v, 0));
        var format = new Option<string>("--format") { Description = "spice (ngspice deck), verilog-ams, or all.", DefaultValueFactory = _ => "spice" }
            .Check((name, v) => OptionValues.OneOf(name, v, false, "spice", "verilog-ams", "all"));
        var output = new Option<string>("--output", "-o") { Description = "The deck file for --format spice; a directory for verilog-ams and all.", Required = true };
        var command = new Command("generate", "Write the circuit as an ngspice deck and/or Verilog-AMS. --fidelity chooses exact device laws\n" +
            "(ideal), fitted MOS cell laws (macro) or MOS transistor cells (transistor); macro and transistor decks get the physical\n" +
            "mapping beside them (<deck>.cells.csv and .cells.json: per device its cell, sizes, biases and fit error).\n" +
            "Node k is net n<k> in every output; layer L's phase is ph<L>.");
        io.AddTo(command);
        circuit.AddTo(command);
        cells.AddTo(command);
        foreach (var option in new Option[] { caseIndex, format, output }) command.Options.Add(option);
        command.SetAction(r =>
        {
            var target = r.GetValue(output)!;
            if (r.GetValue(format)!.ToLowerInvariant() == "spice") OutputPath.RequireWritableFile(target);
            else OutputPath.RequireWritableFolder(target);
            var imported = io.Load(r);
            var design = circuit.Apply(r, imported.Design);
            var (vectors, origin) = io.Read(r, design, required: false);
            int index = r.GetValue(caseIndex);
            if (vectors.Length > 0 && (index < 0 || index >= vectors.Length))
                throw new KirchhoffHwException("<options>", $"--case {index} is out of range: there are {vectors.Length} inputs");
            double[] input = vectors.Length == 0 ? [] : vectors[index];
            var kind = r.GetValue(format)!.ToLowerInvariant();
            if (kind is not ("spice" or "verilog-ams" or "all"))
                throw new KirchhoffHwException("<options>", $"--format '{Generate.Formatting.Names.CommentText(kind)}' is not spice, verilog-ams or all");
            var (lowered, mapping) = cells.Lower(r, design, vectors);
            if (lowered.Fidelity != Fidelity.Ideal && kind != "spice")
                throw new KirchhoffHwException("<options>", $"--fidelity {lowered.Fidelity.ToString().ToLowerInvariant()} is written as an ngspice deck only: use --format spice");
            var spice = lowered.Apply(circuit.Spice(r)) with
            {
                Input = input,
                Notes = [$"source: {imported.Source}", vectors.Length == 0 ? "input: none (all nodes start at 0 V)" : $"input: case {index} of {origin}"],
            };
            if (kind is "spice" or "all")
            {
                var deckPath = kind == "all" ? Path.Combine(target, Generate.Formatting.Names.Identifier(design.Name) + ".cir") : target;
                var clock = System.Diagnostics.Stopwatch.StartNew();
                DeckSummary? summary = null;
                AtomicFile.WriteText(deckPath, w => summary = new NgspiceEmitter().Write(lowered.Circuit, spice, w));
                console.Out.WriteLine($"wrote {deckPath}: {lowered.Fidelity.ToString().ToLowerInvariant()} fidelity, {summary!.Style.ToString().ToLowerInvariant()} style, {summary.Elements} device elements, " +
                    $"{new FileInfo(deckPath).Length} bytes, {clock.Elapsed.TotalSeconds:F2} s");
                if (mapping is not null)
                {
                    var (csv, json) = mapping.Write(Path.ChangeExtension(deckPath, null));
                    console.Out.WriteLine($"wrote {csv} and {json}");
                    foreach (var line in FidelityOptions.Describe(mapping, design.Units)) console.Out.WriteLine("  " + line);
                }
            }
            if (kind is "verilog-ams" or "all")
                foreach (var file in VerilogAms.Write(design, input, target))
                    console.Out.WriteLine($"wrote {file}");
            return App.ExitOk;
        });
        return command;
    }
}
