using System.IO.Compression;
using System.Text;

namespace KirchhoffHw.Import.Tests;

/// <summary>Paths to the shared real models and helpers that craft checkpoints and pickles byte by byte.</summary>
internal static class Fixtures
{
    public static string RepoRoot => RepoPaths.Root;
    public static string Models => RepoPaths.Models;
    public static string Model(string name, string file) => RepoPaths.Model(name, file);
    public static string Designs => RepoPaths.Designs;

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "khw-import-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A torch-style zip: archive/data.pkl plus archive/data/&lt;key&gt; storages.</summary>
    public static string WritePth(string path, byte[] pickle, params (string Key, byte[] Data)[] storages)
    {
        using var fs = File.Create(path);
        using var zip = new ZipArchive(fs, ZipArchiveMode.Create);
        void Add(string name, byte[] data)
        {
            using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
            s.Write(data);
        }
        Add("archive/data.pkl", pickle);
        foreach (var (key, data) in storages) Add($"archive/data/{key}", data);
        Add("archive/version", "3\n"u8.ToArray());
        return path;
    }

    public static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }

    /// <summary>A state dict {key: tensor} exactly as torch pickles it (protocol 2, _rebuild_tensor_v2).</summary>
    public static byte[] StateDictPickle(params (string Key, string StorageType, string StorageKey, int Numel, int Offset, int[] Size, int[] Stride)[] tensors) =>
        WideStateDictPickle(tensors.Select(t => (t.Key, t.StorageType, t.StorageKey, (long)t.Numel, (long)t.Offset,
            t.Size.Select(x => (long)x).ToArray(), t.Stride.Select(x => (long)x).ToArray())).ToArray());

    /// <summary>The same with 64-bit geometry, for sizes and strides no real checkpoint has.</summary>
    public static byte[] WideStateDictPickle(params (string Key, string StorageType, string StorageKey, long Numel, long Offset, long[] Size, long[] Stride)[] tensors)
    {
        var p = new PickleBuilder().Proto().Global("collections", "OrderedDict").EmptyTuple().Reduce().Mark();
        foreach (var t in tensors)
        {
            p.Str(t.Key).Global("torch._utils", "_rebuild_tensor_v2").Mark()
                .Mark().Str("storage").Global("torch", t.StorageType).Str(t.StorageKey).Str("cpu").Long(t.Numel).Tuple().PersId()
                .Long(t.Offset).Mark();
            foreach (var s in t.Size) p.Long(s);
            p.Tuple().Mark();
            foreach (var s in t.Stride) p.Long(s);
            p.Tuple().False().Global("collections", "OrderedDict").EmptyTuple().Reduce().Tuple().Reduce();
        }
        return p.SetItems().Stop().Bytes();
    }

    /// <summary>A twomoon-shaped checkpoint folder (model.pth + config.yaml) with the given config text and one float tensor per layer.</summary>
    public static string Checkpoint(string dir, string config, params float[][] layers)
    {
        File.WriteAllText(Path.Combine(dir, "config.yaml"), config);
        var tensors = layers.Select((l, i) => ($"circuit.layer_list.{i}.model.param", "FloatStorage", i.ToString(), l.Length, 0, new[] { l.Length }, new[] { 1 })).ToArray();
        return WritePth(Path.Combine(dir, "model.pth"), StateDictPickle(tensors), layers.Select((l, i) => (i.ToString(), Floats(l))).ToArray());
    }
}

/// <summary>Writes pickle opcodes by hand, so tests control every byte a hostile file could contain.</summary>
internal sealed class PickleBuilder
{
    private readonly List<byte> _b = [];

    public PickleBuilder Op(byte code) { _b.Add(code); return this; }
    public PickleBuilder Proto() => Op(0x80).Op(2);
    public PickleBuilder Global(string module, string name) { Op((byte)'c'); _b.AddRange(Encoding.ASCII.GetBytes($"{module}\n{name}\n")); return this; }
    public PickleBuilder Mark() => Op((byte)'(');
    public PickleBuilder Tuple() => Op((byte)'t');
    public PickleBuilder EmptyTuple() => Op((byte)')');
    public PickleBuilder Reduce() => Op((byte)'R');
    public PickleBuilder SetItems() => Op((byte)'u');
    public PickleBuilder PersId() => Op((byte)'Q');
    public PickleBuilder False() => Op(0x89);
    public PickleBuilder Stop() => Op((byte)'.');

    public PickleBuilder Str(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        Op((byte)'X');
        _b.AddRange(BitConverter.GetBytes(bytes.Length));
        _b.AddRange(bytes);
        return this;
    }

    public PickleBuilder Int(int v)
    {
        Op((byte)'J');
        _b.AddRange(BitConverter.GetBytes(v));
        return this;
    }

    /// <summary>LONG1 with eight little-endian bytes: integers beyond 32 bits (sizes, strides, offsets).</summary>
    public PickleBuilder Long(long v)
    {
        Op(0x8a).Op(8);
        _b.AddRange(BitConverter.GetBytes(v));
        return this;
    }

    public PickleBuilder EmptyDict() => Op((byte)'}');
    public PickleBuilder SetItem() => Op((byte)'s');

    public byte[] Bytes() => _b.ToArray();
}
