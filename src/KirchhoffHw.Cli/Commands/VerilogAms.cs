using KirchhoffHw.Generate.Dialects.VerilogAms;
using KirchhoffHw.Model;

namespace KirchhoffHw.Cli.Commands;

internal static class VerilogAms
{
    public static IReadOnlyList<string> Write(Design design, double[] input, string directory) =>
        new VerilogAmsEmitter().WriteAll(design, VerilogAmsOptions.Default with { Input = input }, Model.IO.OutputPath.CreateFolder(directory));
}
