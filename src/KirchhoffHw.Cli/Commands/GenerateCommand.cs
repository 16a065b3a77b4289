using System.CommandLine;
using KirchhoffHw.Flow;
using KirchhoffHw.Model;

namespace KirchhoffHw.Cli.Commands;

internal static class GenerateCommand
{
    public static Command Create(Console console)
    {
        var io = new ModelInputs(console);
        var units = new UnitOptions();
        var deck = new DeckOptions();
        var cells = new FidelityOptions();
        var caseIndex = new Option<int>("--case") { Description = "Which input vector of --inputs/--random becomes the initial state (default 0; no inputs = all nodes at 0 V).", DefaultValueFactory = _ => 0 }
            .Check((name, v) => OptionValues.AtLeast(name, v, 0));
        var format = new Choice<OutputFormat>("--format", "spice (ngspice deck), verilog-ams, or all.", "spice",
            ("spice", OutputFormat.Spice), ("verilog-ams", OutputFormat.VerilogAms), ("all", OutputFormat.All));
        var output = Common.Output<string>("The deck file for --format spice; a directory for verilog-ams and all.", required: true,
            isFolder: r => format.Get(r) != OutputFormat.Spice);
        var command = new Command("generate", "Write the circuit as an ngspice deck and/or Verilog-AMS. --fidelity chooses exact device laws\n" +
            "(ideal), fitted MOS cell laws (macro) or MOS transistor cells (transistor); macro and transistor decks get the physical\n" +
            "mapping beside them (<deck>.cells.csv and .cells.json: per device its cell, sizes, biases and fit error).\n" +
            "Node k is net n<k> in every output; layer L's phase is ph<L>.");
        io.AddTo(command);
        units.AddTo(command);
        deck.AddTo(command);
        cells.AddTo(command);
        foreach (var option in new Option[] { caseIndex, format.Option, output }) command.Options.Add(option);
        command.SetAction((r, cancel) =>
        {
            var imported = io.Load(r);
            var design = units.Apply(r, imported.Design);
            var (vectors, origin) = io.Read(r, design, required: false);
            var result = GenerateStage.Run(new GenerateRequest
            {
                Design = design,
                Source = imported.Source,
                Fidelity = cells.Fidelity.Get(r),
                TechPath = r.GetValue(cells.Tech),
                Inputs = vectors,
                InputOrigin = origin,
                Case = r.GetValue(caseIndex),
                Format = format.Get(r),
                Spice = deck.Spice(r),
                Output = r.GetValue(output)!,
            }, cancel);
            if (result.DeckPath is { } path)
            {
                console.Out.WriteLine($"wrote {path}: {Model.CircuitFidelity.KeyOf(result.Fidelity)} fidelity, {result.Deck!.Style.ToString().ToLowerInvariant()} style, " +
                    $"{result.Deck.Elements} device elements, {new FileInfo(path).Length} bytes, {result.DeckTime.TotalSeconds:F2} s");
                if (result.MappingFiles is { } files)
                {
                    console.Out.WriteLine($"wrote {files.Csv} and {files.Json}");
                    foreach (var line in FidelityOptions.Describe(result.Mapping!)) console.Out.WriteLine("  " + line);
                }
            }
            foreach (var file in result.VerilogAmsFiles) console.Out.WriteLine($"wrote {file}");
            return Task.FromResult(App.ExitOk);
        });
        return command;
    }
}
