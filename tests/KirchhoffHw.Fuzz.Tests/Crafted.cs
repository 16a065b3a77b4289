using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using KirchhoffHw.Import.Tests;

namespace KirchhoffHw.Fuzz.Tests;

/// <summary>Building blocks for crafted inputs: checkpoints, designs, FIFOs and links, all written by the tests.</summary>
internal static class Crafted
{
    public static string TwomoonConfig { get; } = File.ReadAllText(RepoPaths.Model("twomoon", "config.yaml"));
    public static byte[] TwomoonPth { get; } = File.ReadAllBytes(RepoPaths.Model("twomoon", "model.pth"));
    public static string Tiny { get; } = File.ReadAllText(Path.Combine(RepoPaths.Designs, "tiny.yaml"));

    /// <summary>A design of one node pair with a conductance, named as given (a YAML double-quoted scalar).</summary>
    public static string Design(string quotedName, int nodes = 2, string devices = "      - [1, 2, 0.5]\n", string extra = "") =>
        $"kirchhoffhw: 1\nname: {quotedName}\nnodes: {nodes}\n{extra}layers:\n  - t: [0, 1]\n    model: Conductance\n    devices:\n{devices}";

    /// <summary>A checkpoint folder: model.pth holding <paramref name="pickle"/> (and storages) beside config.yaml.</summary>
    public static string Checkpoint(string dir, byte[] pickle, string? config = null, params (string Key, byte[] Data)[] storages)
    {
        File.WriteAllText(Path.Combine(dir, "config.yaml"), config ?? TwomoonConfig);
        return Fixtures.WritePth(Path.Combine(dir, "model.pth"), pickle, storages);
    }

    /// <summary>The twomoon checkpoint as published, with a config of our choosing beside it.</summary>
    public static string TwomoonWith(string dir, string config)
    {
        File.WriteAllText(Path.Combine(dir, "config.yaml"), config);
        var pth = Path.Combine(dir, "model.pth");
        File.WriteAllBytes(pth, TwomoonPth);
        return pth;
    }

    /// <summary>A zip with the given entries, each deflated (a bomb compresses a thousandfold).</summary>
    public static void Zip(string path, params (string Name, Action<Stream> Write)[] entries)
    {
        using var zip = new ZipArchive(File.Create(path), ZipArchiveMode.Create);
        foreach (var (name, write) in entries)
        {
            using var s = zip.CreateEntry(name, CompressionLevel.SmallestSize).Open();
            write(s);
        }
    }

    public static Action<Stream> Zeros(long bytes) => s =>
    {
        var block = new byte[1 << 20];
        for (long left = bytes; left > 0; left -= block.Length) s.Write(block, 0, (int)Math.Min(block.Length, left));
    };

    public static Action<Stream> Bytes(byte[] data) => s => s.Write(data);

    public static void Fifo(string path)
    {
        using var p = Process.Start("mkfifo", [path])!;
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"mkfifo {path} failed");
    }

    public static void Link(string path, string target) => File.CreateSymbolicLink(path, target);

    public static string Write(string dir, string name, string text)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    public static PickleBuilder Pickle() => new PickleBuilder().Proto();

    /// <summary>The pickle payload every code-execution attempt carries: it would create <paramref name="marker"/>.</summary>
    public static PickleBuilder CallsTouch(this PickleBuilder p, string marker) => p.Mark().Str($"touch {marker}").Tuple().Reduce();
}
