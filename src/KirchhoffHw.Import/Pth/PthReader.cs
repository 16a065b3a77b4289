using System.IO.Compression;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;

namespace KirchhoffHw.Import.Pth;

/// <summary>
/// Reads a PyTorch zip checkpoint (`torch.save` since 1.6): `&lt;prefix&gt;/data.pkl` is the pickled state dict and
/// `&lt;prefix&gt;/data/&lt;key&gt;` holds each storage as raw little-endian elements. Nested dicts are flattened to
/// dotted keys, as `state_dict()` names them; non-tensor entries are left out. No entry is read past what the
/// pickle declares for it, so a small file inflating to gigabytes (a zip bomb) costs nothing.
/// </summary>
public static class PthReader
{
    /// <summary>State dicts nest one level per module; far deeper nesting is a crafted file, not a model.</summary>
    public const int MaxNesting = 64;

    /// <summary>Memory per byte of pickle: every one-byte opcode can push an object of a few dozen bytes.</summary>
    private const int PickleExpansion = 64;

    public static IReadOnlyDictionary<string, Tensor> Read(string path)
    {
        InputFile.Require(path, "checkpoint file");
        // The central directory is read lazily, entry by entry: a corrupt one can surface at any entry access.
        try { return ReadZip(path); }
        catch (InvalidDataException ex)
        {
            throw new KirchhoffHwException(path, $"not a PyTorch zip checkpoint ({Describe(path)}): {ex.Message}", ex);
        }
    }

    private static IReadOnlyDictionary<string, Tensor> ReadZip(string path)
    {
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new KirchhoffHwException(path, $"checkpoint file cannot be read: {ex.Message}", ex);
        }
        using (zip)
        {
            var pkl = zip.Entries.FirstOrDefault(e => e.FullName == "data.pkl" || e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal))
                ?? throw new KirchhoffHwException(path, "the zip holds no data.pkl, so it is not a PyTorch checkpoint");
            string prefix = pkl.FullName[..^"data.pkl".Length];

            byte[] LoadStorage(string key, long bytes)
            {
                string name = $"{prefix}data/{key}";
                var entry = zip.GetEntry(name) ?? throw new PickleException($"missing storage record '{name}'");
                if (entry.Length > bytes)
                    throw new PickleException($"storage record '{name}' unpacks to {entry.Length} bytes but the pickle declares {bytes} for it (a zip bomb or a corrupt file)");
                return ReadEntry(path, entry, entry.Length);
            }

            MemoryLimit.Require(MemoryLimit.Times(pkl.Length, PickleExpansion), $"{pkl.FullName} of {pkl.Length:N0} bytes, once unpickled,", new SourceLocation(path));
            object? root;
            try
            {
                root = new Unpickler(ReadEntry(path, pkl, pkl.Length), LoadStorage).Load();
            }
            catch (PickleException ex)
            {
                throw new KirchhoffHwException(path, $"{pkl.FullName}: {ex.Message}", ex);
            }
            if (root is not Unpickler.Dict dict)
                throw new KirchhoffHwException(path, $"{pkl.FullName} holds {Unpickler.TypeName(root)}, not a state dict");
            var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            Flatten(dict, tensors, path, pkl.FullName);
            return tensors;
        }
    }

    /// <summary>Nested dicts to dotted keys, without recursion: a pickle nested 100,000 deep must not overflow the stack.</summary>
    private static void Flatten(Unpickler.Dict root, Dictionary<string, Tensor> into, string path, string entry)
    {
        var open = new Stack<(Unpickler.Dict Dict, string Prefix, int Next)>();
        open.Push((root, "", 0));
        while (open.TryPop(out var top))
        {
            var (dict, prefix, next) = top;
            if (next >= dict.Items.Count) continue;
            open.Push((dict, prefix, next + 1));
            var (key, value) = dict.Items[next];
            string name = prefix + Convert.ToString(key, System.Globalization.CultureInfo.InvariantCulture);
            if (value is Tensor t) into[name] = t;
            else if (value is Unpickler.Dict inner)
            {
                if (open.Count >= MaxNesting)
                    throw new KirchhoffHwException(path, $"{entry}: dictionaries are nested more than {MaxNesting} deep; a state dict nests one level per module");
                open.Push((inner, name + ".", 0));
            }
        }
    }

    private static byte[] ReadEntry(string path, ZipArchiveEntry entry, long length)
    {
        if (length > Array.MaxLength) throw new KirchhoffHwException(path, $"{entry.FullName} is too large ({length} bytes)");
        var bytes = new byte[length];
        try
        {
            using var s = entry.Open();
            s.ReadExactly(bytes);
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or IOException or NotSupportedException)
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
