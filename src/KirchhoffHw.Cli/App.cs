using System.CommandLine;
using KirchhoffHw.Cli.Commands;
using KirchhoffHw.Model;

namespace KirchhoffHw.Cli;

/// <summary>
/// The `kirchhoffhw` command. Verbs are thin: parse, call a stage, print. Bad input of any kind ends as
/// `error: file:line: reason` lines on stderr and exit code 2; a failed verification is exit code 1.
/// </summary>
public static class App
{
    public const int ExitOk = 0, ExitFailed = 1, ExitBadInput = 2, ExitInternal = 70;

    public static int Run(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var output = new Console(stdout ?? System.Console.Out, stderr ?? System.Console.Error);
        var root = new RootCommand(
            "KirchhoffHw: turns trained KirchhoffNets into circuits and proves them.\n" +
            "Import the authors' checkpoints or our YAML designs, run the software reference, generate ngspice decks and\n" +
            "Verilog-AMS, and verify the circuit against the reference by co-simulation in ngspice.\n\n" +
            "Examples:\n" +
            "  kirchhoffhw info ../shared/models/mnist/model.pth\n" +
            "  kirchhoffhw run ../shared/models/twomoon/model.pth --random 1000 --seed 1 --output samples.json\n" +
            "  kirchhoffhw generate designs/spiral.yaml --capacitance 1p --time-unit 1n --output out/spiral.cir\n" +
            "  kirchhoffhw verify ../shared/models/twomoon/model.pth --inputs ../shared/models/twomoon/vectors.json \\\n" +
            "      --capacitance 1p --time-unit 1n --output verdict.json\n" +
            "  kirchhoffhw flow designs/spiral.yaml --capacitance 1p --time-unit 1n --out out/spiral   # everything, ending in report.html\n" +
            "  kirchhoffhw tolerance ../shared/models/twomoon/model.pth --random 100 --seed 1   # what the cells must meet");
        root.Subcommands.Add(ImportCommand.Create(output));
        root.Subcommands.Add(InfoCommand.Create(output));
        root.Subcommands.Add(RunCommand.Create(output));
        root.Subcommands.Add(GenerateCommand.Create(output));
        root.Subcommands.Add(VerifyCommand.Create(output));
        root.Subcommands.Add(FlowCommand.Create(output));
        root.Subcommands.Add(ReportCommand.Create(output));
        root.Subcommands.Add(ToleranceCommand.Create(output));
        root.Subcommands.Add(TaskCommand.Create(output));

        try
        {
            var parsed = root.Parse(args);
            return parsed.Invoke(new InvocationConfiguration { Output = output.Out, Error = output.Err, EnableDefaultExceptionHandler = false });
        }
        catch (KirchhoffHwException e)
        {
            foreach (var d in e.Diagnostics) output.Err.WriteLine($"error: {d}");
            return ExitBadInput;
        }
        catch (OperationCanceledException)
        {
            output.Err.WriteLine("interrupted");
            return 130;
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("KIRCHHOFFHW_DEBUG") is null)
        {
            output.Err.WriteLine($"internal error: {e.GetType().Name}: {e.Message} (set KIRCHHOFFHW_DEBUG=1 for details; please report it)");
            return ExitInternal;
        }
    }
}

/// <summary>Where a command prints: injectable so tests read what a user would see.</summary>
public sealed record Console(TextWriter Out, TextWriter Err)
{
    public bool Interactive => ReferenceEquals(Err, System.Console.Error) && !System.Console.IsErrorRedirected;

    /// <summary>Writes a table (or any Spectre renderable) to <see cref="Out"/>: colours on a terminal, plain text in logs and tests.</summary>
    public void Render(Spectre.Console.Rendering.IRenderable renderable)
    {
        var ansi = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Out = new Spectre.Console.AnsiConsoleOutput(Out),
            Ansi = Interactive ? Spectre.Console.AnsiSupport.Detect : Spectre.Console.AnsiSupport.No,
            ColorSystem = Interactive ? Spectre.Console.ColorSystemSupport.Detect : Spectre.Console.ColorSystemSupport.NoColors,
            Interactive = Spectre.Console.InteractionSupport.No,
        });
        ansi.Write(renderable);
    }
}
