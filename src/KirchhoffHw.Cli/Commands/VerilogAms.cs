using KirchhoffHw.Model;

namespace KirchhoffHw.Cli.Commands;

/// <summary>Bridge to the Verilog-AMS emitter.</summary>
internal static class VerilogAms
{
    public static IReadOnlyList<string> Write(Design design, double[] input, string directory) =>
        throw new KirchhoffHwException("<options>", "--format verilog-ams is not available in this build yet");
}
