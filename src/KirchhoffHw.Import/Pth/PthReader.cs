using System.IO.Compression;
using KirchhoffHw.Model;

namespace KirchhoffHw.Import.Pth;

/// <summary>
/// Reads a PyTorch zip checkpoint (`torch.save` since 1.6): `&lt;prefix&gt;/data.pkl` is the pickled state dict and
/// `&lt;prefix&gt;/data/&lt;key&gt;` holds each storage as raw little-endian elements. Nested dicts are flattened to
/// dotted keys, as `state_dict()` names them; non-tensor entries are left out.
/// </summary>
public static class PthReader
{
    public static IReadOnlyDictionary<string, Tensor> Read(string path)
    {
        if (!File.Exists(path)) throw new KirchhoffHwException(path, "checkpoint file not found");
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException ex)
        {
            throw new KirchhoffHwException(path, $"not a PyTorch zip checkpoint ({Describe(path)}): {ex.Message}", ex);
        }
        using (zip)
        {
            var pkl = zip.Entries.FirstOrDefault(e => e.FullName == "data.pkl" || e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal))
                ?? throw new KirchhoffHwException(path, "the zip holds no data.pkl, so it is not a PyTorch checkpoint");
            string prefix = pkl.FullName[..^"data.pkl".Length];

            byte[] LoadStorage(string key)
            {
                string name = $"{prefix}data/{key}";
                var entry = zip.GetEntry(name) ?? throw new PickleException($"missing storage record '{name}'");
                return ReadEntry(path, entry);
            }

            object? root;
            try
            {
                root = new Unpickler(ReadEntry(path, pkl), LoadStorage).Load();
            }
            catch (PickleException ex)
            {
                throw new KirchhoffHwException(path, $"{pkl.FullName}: {ex.Message}", ex);
            }
            if (root is not Unpickler.Dict dict)
                throw new KirchhoffHwException(path, $"{pkl.FullName} holds {Unpickler.TypeName(root)}, not a state dict");
            var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            Flatten(dict, "", tensors);
            return tensors;
        }
    }

    private static void Flatten(Unpickler.Dict dict, string prefix, Dictionary<string, Tensor> into)
    {
        foreach (var (key, value) in dict.Items)
        {
            string name = prefix + Convert.ToString(key, System.Globalization.CultureInfo.InvariantCulture);
            if (value is Tensor t) into[name] = t;
            else if (value is Unpickler.Dict inner) Flatten(inner, name + ".", into);
        }
    }

    private static byte[] ReadEntry(string path, ZipArchiveEntry entry)
    {
        if (entry.Length > Array.MaxLength) throw new KirchhoffHwException(path, $"{entry.FullName} is too large ({entry.Length} bytes)");
        var bytes = new byte[entry.Length];
        try
        {
            using var s = entry.Open();
            s.ReadExactly(bytes);
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new KirchhoffHwException(path, $"{entry.FullName} cannot be read, the file looks truncated or corrupt: {ex.Message}", ex);
        }
        return bytes;
    }

    /// <summary>A hint for the common wrong inputs: a legacy (pre-1.6) torch.save file, or something else entirely.</summary>
    private static string Describe(string path)
    {
        Span<byte> head = stackalloc byte[4];
        int n;
        using (var f = File.OpenRead(path)) n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (n == 0) return "the file is empty";
        if (n >= 2 && head[0] == 0x80 && head[1] <= 5) return "it is a bare pickle, the legacy pre-1.6 torch.save format; re-save it with a current PyTorch";
        if (n >= 2 && head[0] == 'P' && head[1] == 'K') return "it starts like a zip but is truncated or corrupt";
        return "it does not start with a zip signature";
    }
}
