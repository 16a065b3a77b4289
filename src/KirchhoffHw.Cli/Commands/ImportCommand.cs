using System.CommandLine;
using KirchhoffHw.Import;

namespace KirchhoffHw.Cli.Commands;

internal static class ImportCommand
{
    public static Command Create(Console console)
    {
        var io = new ModelInputs();
        var output = Common.Output<string?>("Write the design in KirchhoffHw's YAML format here (otherwise print a summary).", required: false);
        var command = new Command("import", "Import a checkpoint (model.pth + config.yaml) or a design and write it as a KirchhoffHw YAML design.")
        {
            output,
        };
        io.AddTo(command, withInputs: false);
        command.SetAction(r =>
        {
            if (r.GetValue(output) is { } target) Model.IO.OutputPath.RequireWritableFile(target);
            var imported = io.Load(r);
            if (r.GetValue(output) is { } path)
            {
                DesignYaml.Save(imported.Design, path);
                console.Out.WriteLine($"wrote {path}: {imported.Design.NodeCount} nodes, {imported.Design.DeviceCount} devices in {imported.Design.Layers.Count} layers");
            }
            else InfoCommand.Print(console, imported, statistics: false);
            return App.ExitOk;
        });
        return command;
    }
}
