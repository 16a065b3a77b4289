namespace KirchhoffHw.Cli.Tests;

/// <summary>Runs the CLI in-process and captures what a user would see.</summary>
internal static class CliRun
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = App.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }
}
