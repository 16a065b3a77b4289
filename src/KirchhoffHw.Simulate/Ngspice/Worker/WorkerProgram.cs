using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace KirchhoffHw.Simulate.Ngspice.Worker;

/// <summary>
/// Entry point of the ngspice worker: this assembly re-launched as <c>dotnet exec KirchhoffHw.Simulate.dll
/// --ngspice-worker lib1 lib2...</c>. It loads libngspice once and serves runs read from stdin until stdin closes.
/// </summary>
public static class WorkerProgram
{
    public const string Verb = "--ngspice-worker";

    public static int Main(string[] args)
    {
        if (args.Length < 1 || args[0] != Verb)
        {
            Console.Error.WriteLine($"KirchhoffHw.Simulate is a library; its only entry point is '{Verb} <library names>', used by NgspiceShared.");
            return 2;
        }
        // ngspice and libc may still print to fd 1 (not everything goes through SendChar): move the protocol to a
        // private copy of fd 1 and point fd 1 at stderr, which the parent collects as log.
        var protocolFd = Dup(1);
        if (protocolFd < 0 || Dup2(2, 1) < 0)
        {
            Console.Error.WriteLine($"cannot redirect stdout: errno {Marshal.GetLastPInvokeError()}");
            return 3;
        }
        using var output = new FileStream(new SafeFileHandle(protocolFd, ownsHandle: true), FileAccess.Write, 1 << 16);
        using var writer = new BinaryWriter(output);
        using var reader = new BinaryReader(new BufferedStream(Console.OpenStandardInput(), 1 << 16));

        var native = NgspiceNative.TryLoad(args[1..], out var tried);
        if (native is null)
        {
            WorkerProtocol.WriteHello(writer, NgspiceShared.MissingMessage, $"tried: {tried}");
            return 0;
        }
        var engine = NgspiceEngine.Start(native);
        WorkerProtocol.WriteHello(writer, null, $"loaded {native.LibraryPath}");

        while (WorkerProtocol.ReadRequest(reader) is { } request)
        {
            var response = engine.Run(request);
            WorkerProtocol.WriteResponse(writer, response);
            if (response.Dead) return 1;
        }
        return 0;
    }

    [DllImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static extern int Dup(int fd);

    [DllImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static extern int Dup2(int oldFd, int newFd);
}
