using System.Buffers.Binary;
using System.Text;
using KirchhoffHw.Model;

namespace KirchhoffHw.Import.Pth;

/// <summary>A problem inside a pickle, with the byte offset where it was found.</summary>
internal sealed class PickleException(string message) : Exception(message);

/// <summary>
/// A restricted unpickler for PyTorch state dicts. It builds only plain data (dicts, tuples, lists, strings,
/// numbers, booleans, None) and tensors over typed storages; any other global is refused when it is named,
/// so nothing a hostile pickle asks for is ever looked up, let alone called.
/// </summary>
internal sealed class Unpickler
{
    internal sealed record Global(string Module, string Name)
    {
        public override string ToString() => $"{Module}.{Name}";
    }

    internal sealed class Dict
    {
        public List<KeyValuePair<object, object?>> Items { get; } = [];
        private readonly Dictionary<object, int> _index = [];

        public void Set(object? key, object? value, long at)
        {
            if (key is not (string or long or double or bool))
                throw new PickleException($"byte {at}: dictionary key of type {TypeName(key)} is not supported");
            if (_index.TryGetValue(key, out int i)) Items[i] = new(key, value);
            else { _index[key] = Items.Count; Items.Add(new(key, value)); }
        }
    }

    internal sealed record Tuple(object?[] Items);

    internal sealed record Storage(string Type, string Key, long Numel, byte[] Bytes);

    private sealed class MarkObject;
    private static readonly MarkObject Mark = new();

    private static readonly Dictionary<(string, string), int> StorageElementSize = new()
    {
        [("torch", "FloatStorage")] = 4,
        [("torch", "DoubleStorage")] = 8,
        [("torch", "HalfStorage")] = 2,
    };
    private static readonly Global OrderedDict = new("collections", "OrderedDict");
    private static readonly Global RebuildTensor = new("torch._utils", "_rebuild_tensor_v2");
    private readonly byte[] _data;
    private readonly Func<string, long, byte[]> _loadStorage;
    private readonly Dictionary<string, byte[]> _storages = [];
    private readonly List<object?> _stack = [];
    private readonly Dictionary<long, object?> _memo = [];
    private int _pos;
    private int _op;
    private long _allocated;

    /// <param name="loadStorage">Reads storage `key`, exactly the given number of bytes (numel x element size).</param>
    public Unpickler(byte[] data, Func<string, long, byte[]> loadStorage)
    {
        _data = data;
        _loadStorage = loadStorage;
    }

    public object? Load()
    {
        while (true)
        {
            _op = _pos;
            byte code = U8();
            switch (code)
            {
                case 0x80: // PROTO
                    if (U8() > 5) throw Fail("pickle protocol above 5 is not supported");
                    break;
                case 0x95: Take(8); break; // FRAME: framing is only a read-ahead hint
                case (byte)'.': // STOP
                    if (_stack.Count != 1) throw Fail($"pickle stops with {_stack.Count} values on the stack instead of one");
                    return _stack[0];
                case (byte)'(': Push(Mark); break;
                case (byte)'c': Push(Resolve(Line(), Line())); break;
                case 0x93: // STACK_GLOBAL
                    {
                        var name = Pop(); var module = Pop();
                        if (module is not string m || name is not string n) throw Fail("STACK_GLOBAL needs two strings");
                        Push(Resolve(m, n));
                        break;
                    }
                case (byte)'q': _memo[U8()] = Top(); break;
                case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Top(); break;
                case 0x94: _memo[_memo.Count] = Top(); break; // MEMOIZE
                case (byte)'h': Push(Memo(U8())); break;
                case (byte)'j': Push(Memo(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;
                case (byte)')': Push(new Tuple([])); break;
                case (byte)'t': Push(new Tuple(PopMark().ToArray())); break;
                case 0x85: Push(new Tuple([Pop()])); break;
                case 0x86: { var b = Pop(); var a = Pop(); Push(new Tuple([a, b])); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new Tuple([a, b, c])); break; }
                case (byte)']': Push(new List<object?>()); break;
                case (byte)'l': Push(PopMark()); break;
                case (byte)'a': { var v = Pop(); ListAt(Top()).Add(v); break; }
                case (byte)'e': { var items = PopMark(); ListAt(Top()).AddRange(items); break; }
                case (byte)'}': Push(new Dict()); break;
                case (byte)'d': { var items = PopMark(); var d = new Dict(); SetItems(d, items); Push(d); break; }
                case (byte)'s': { var v = Pop(); var k = Pop(); DictAt(Top()).Set(k, v, _op); break; }
                case (byte)'u': { var items = PopMark(); SetItems(DictAt(Top()), items); break; }
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;
                case (byte)'K': Push((long)U8()); break;
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;
                case 0x8a: Push(Long1()); break;
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;
                case (byte)'N': Push(null); break;
                case 0x88: Push(true); break;
                case 0x89: Push(false); break;
                case (byte)'X': Push(Utf8(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;
                case 0x8c: Push(Utf8(U8())); break;
                case 0x8d: Push(Utf8(BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))); break;
                case (byte)'T': Push(Latin1(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;
                case (byte)'U': Push(Latin1(U8())); break;
                case (byte)'B': Push(Take(Length(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))).ToArray()); break;
                case (byte)'C': Push(Take(U8()).ToArray()); break;
                case (byte)'Q': Push(PersistentLoad(Pop())); break;
                case (byte)'R': { var args = Pop(); var callable = Pop(); Push(Reduce(callable, args)); break; }
                case (byte)'b': Build(Pop(), Top()); break;
                case (byte)'0': Pop(); break;
                case (byte)'1': PopMark(); break;
                case (byte)'2': Push(Top()); break;
                default:
                    throw Fail($"opcode 0x{code:x2}{(code is >= 0x20 and < 0x7f ? $" ('{(char)code}')" : "")} is not allowed in a checkpoint");
            }
        }
    }

    private PickleException Fail(string message) => new($"byte {_op}: {message}");

    private byte U8()
    {
        if (_pos >= _data.Length) throw Fail("pickle ends unexpectedly");
        return _data[_pos++];
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > _data.Length - _pos) throw Fail("pickle ends unexpectedly");
        var span = _data.AsSpan(_pos, count);
        _pos += count;
        return span;
    }

    private int Length(ulong n) => n <= (ulong)(_data.Length - _pos) ? (int)n : throw Fail("pickle ends unexpectedly (a string runs past its end)");

    private string Utf8(ulong n) => Encoding.UTF8.GetString(Take(Length(n)));
    private string Latin1(ulong n) => Encoding.Latin1.GetString(Take(Length(n)));

    private string Line()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos);
        if (end < 0) throw Fail("pickle ends unexpectedly inside GLOBAL");
        var s = Encoding.ASCII.GetString(_data, _pos, end - _pos);
        _pos = end + 1;
        return s;
    }

    private long Long1()
    {
        int n = U8();
        if (n > 8) throw Fail($"integer of {n} bytes is too large");
        var bytes = Take(n);
        long v = 0;
        for (int i = n - 1; i >= 0; i--) v = (v << 8) | bytes[i];
        if (n is > 0 and < 8 && (bytes[n - 1] & 0x80) != 0) v -= 1L << (8 * n);
        return v;
    }

    private void Push(object? value) => _stack.Add(value);

    private object? Top() => _stack.Count > 0 && _stack[^1] is not MarkObject ? _stack[^1] : throw Fail("stack underflow");

    private object? Pop()
    {
        var v = Top();
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private List<object?> PopMark()
    {
        int m = _stack.FindLastIndex(o => o is MarkObject);
        if (m < 0) throw Fail("MARK missing");
        var items = _stack.GetRange(m + 1, _stack.Count - m - 1);
        _stack.RemoveRange(m, _stack.Count - m);
        return items;
    }

    private object? Memo(long key) => _memo.TryGetValue(key, out var v) ? v : throw Fail($"memo entry {key} is not defined");

    private List<object?> ListAt(object? o) => o as List<object?> ?? throw Fail($"cannot append to {TypeName(o)}");
    private Dict DictAt(object? o) => o as Dict ?? throw Fail($"cannot set an item on {TypeName(o)}");

    private void SetItems(Dict d, List<object?> items)
    {
        if (items.Count % 2 != 0) throw Fail("odd number of items for a dictionary");
        for (int i = 0; i < items.Count; i += 2) d.Set(items[i], items[i + 1], _op);
    }

    private Global Resolve(string module, string name)
    {
        var g = new Global(module, name);
        if (g == OrderedDict || g == RebuildTensor || StorageElementSize.ContainsKey((module, name))) return g;
        throw Fail($"refused global '{module} {name}': a checkpoint may only name collections.OrderedDict, torch._utils._rebuild_tensor_v2 and torch.FloatStorage/DoubleStorage/HalfStorage (nothing was executed)");
    }

    private object? Reduce(object? callable, object? args)
    {
        if (args is not Tuple t) throw Fail($"REDUCE arguments must be a tuple, got {TypeName(args)}");
        if (callable is Global g && g == OrderedDict)
        {
            var d = new Dict();
            if (t.Items.Length == 0) return d;
            if (t.Items is [List<object?> pairs])
            {
                foreach (var p in pairs)
                    if (p is Tuple { Items: [var k, var v] }) d.Set(k, v, _op);
                    else throw Fail("OrderedDict items must be (key, value) pairs");
                return d;
            }
            throw Fail("OrderedDict takes no arguments or one list of pairs");
        }
        if (callable is Global h && h == RebuildTensor) return RebuildTensorV2(t.Items);
        throw Fail($"{TypeName(callable)} cannot be called");
    }

    private void Build(object? state, object? target)
    {
        // An OrderedDict's state is its attribute dict (torch keeps `_metadata` there); attributes carry no weights.
        if (target is Dict && state is Dict or null) return;
        throw Fail($"cannot set state of {TypeName(target)}");
    }

    private Storage PersistentLoad(object? pid)
    {
        if (pid is not Tuple { Items: ["storage", Global type, string key, string, long numel] })
            throw Fail("persistent id must be ('storage', storage type, key, location, numel)");
        if (!StorageElementSize.TryGetValue((type.Module, type.Name), out int size))
            throw Fail($"{type} is not a storage type");
        if (numel < 0) throw Fail($"storage '{key}' declares {numel} elements");
        if (!_storages.TryGetValue(key, out var bytes))
        {
            // Never more than the pickle declares: a storage entry inflating past numel x size is not read.
            long want = Allocate(numel, size, $"storage '{key}' of {numel} elements");
            _storages[key] = bytes = _loadStorage(key, want);
        }
        if (bytes.LongLength < MemoryLimit.Times(numel, size))
            throw Fail($"storage '{key}' holds {bytes.LongLength} bytes but declares {numel} {type.Name[..^7].ToLowerInvariant()} elements of {size} bytes");
        return new Storage(type.Name, key, numel, bytes);
    }

    /// <summary>Counts <paramref name="count"/> x <paramref name="size"/> bytes against the memory limit before they are allocated.</summary>
    private long Allocate(long count, int size, string what)
    {
        long bytes = MemoryLimit.Times(count, size);
        if (MemoryLimit.Check(MemoryLimit.Of(_allocated + (double)bytes), what) is { } problem) throw Fail(problem);
        if (bytes > Array.MaxLength) throw Fail($"{what} would need {MemoryLimit.Format(bytes)}, more than one array holds");
        _allocated += bytes;
        return bytes;
    }

    /// <summary>
    /// Copies a strided view out of its storage. All geometry is checked in wide arithmetic first: sizes and
    /// strides as large as 2^62 neither wrap nor index outside the storage, the element count is held to the
    /// memory limit before the copy is allocated, and a view whose elements overlap (stride 0, rows aliasing
    /// each other) is marked, since no trained parameter tensor is stored that way.
    /// </summary>
    private Tensor RebuildTensorV2(object?[] a)
    {
        if (a.Length is < 6 or > 7 || a[0] is not Storage storage || a[1] is not long offset || a[2] is not Tuple size || a[3] is not Tuple stride)
            throw Fail("_rebuild_tensor_v2 expects (storage, offset, size, stride, requires_grad, hooks)");
        if (size.Items.Length != stride.Items.Length) throw Fail("tensor size and stride differ in length");
        if (offset < 0) throw Fail($"tensor storage offset {offset} is negative");
        int rank = size.Items.Length;
        if (rank > 64) throw Fail($"tensor has {rank} dimensions");
        var shape = new int[rank];
        var strides = new long[rank];
        Int128 count = 1, last = offset;
        for (int d = 0; d < rank; d++)
        {
            if (size.Items[d] is not long n || n < 0 || n > int.MaxValue || stride.Items[d] is not long s || s < 0)
                throw Fail($"tensor sizes must be integers in [0, {int.MaxValue}] and strides non-negative integers, got size ({Join(size)}) and stride ({Join(stride)})");
            shape[d] = (int)n;
            strides[d] = s;
            count *= n;
            if (n > 0) last += (Int128)(n - 1) * s;
        }
        string shapeText = $"({string.Join(", ", shape)})";
        if (count > 0 && last >= storage.Numel)
            throw Fail($"storage '{storage.Key}' is too short: {storage.Numel} elements, but a tensor of shape {shapeText} at offset {offset} with strides ({string.Join(", ", strides)}) reaches element {last}");
        if (count > long.MaxValue) throw Fail($"tensor of shape {shapeText} has more elements than can be counted");
        long elements = (long)count;
        Allocate(elements, sizeof(double), $"tensor of shape {shapeText} ({elements} elements)");

        var data = new double[elements];
        if (elements == 0) return new Tensor(shape, data);
        var index = new int[rank];
        long pos = offset;
        for (long i = 0; i < elements; i++)
        {
            data[i] = Element(storage, pos);
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++index[d] < shape[d]) { pos += strides[d]; break; }
                index[d] = 0;
                pos -= (shape[d] - 1) * strides[d];
            }
        }
        return new Tensor(shape, data) { Overlapping = Overlaps(shape, strides, offset) };
    }

    private static string Join(Tuple t) => string.Join(", ", t.Items.Select(x => x?.ToString() ?? "None"));

    /// <summary>
    /// Whether two indices of the view reach one storage element. Sorted by stride, a view cannot overlap when
    /// each stride exceeds the reach of all smaller ones; only views failing that (never a saved parameter in
    /// practice) are checked element by element.
    /// </summary>
    internal static bool Overlaps(int[] shape, long[] strides, long offset)
    {
        var dims = Enumerable.Range(0, shape.Length).Where(d => shape[d] > 1).OrderBy(d => strides[d]).ToArray();
        Int128 reach = 0;
        bool separable = true;
        foreach (int d in dims)
        {
            if (strides[d] <= reach) { separable = false; break; }
            reach += (Int128)(shape[d] - 1) * strides[d];
        }
        if (separable) return false;
        var positions = new long[shape.Aggregate(1L, (x, y) => x * y)];
        var index = new int[shape.Length];
        long pos = offset;
        for (long i = 0; i < positions.LongLength; i++)
        {
            positions[i] = pos;
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                if (++index[d] < shape[d]) { pos += strides[d]; break; }
                index[d] = 0;
                pos -= (shape[d] - 1) * strides[d];
            }
        }
        Array.Sort(positions);
        for (long i = 1; i < positions.LongLength; i++)
            if (positions[i] == positions[i - 1]) return true;
        return false;
    }

    private static double Element(Storage s, long i) => s.Type switch
    {
        "FloatStorage" => BinaryPrimitives.ReadSingleLittleEndian(s.Bytes.AsSpan(checked((int)(i * 4)), 4)),
        "DoubleStorage" => BinaryPrimitives.ReadDoubleLittleEndian(s.Bytes.AsSpan(checked((int)(i * 8)), 8)),
        _ => (double)BinaryPrimitives.ReadHalfLittleEndian(s.Bytes.AsSpan(checked((int)(i * 2)), 2)),
    };

    internal static string TypeName(object? o) => o switch
    {
        null => "None",
        string => "a string",
        long => "an integer",
        double => "a float",
        bool => "a boolean",
        Tuple => "a tuple",
        List<object?> => "a list",
        Dict => "a dict",
        Global g => g.ToString(),
        Storage => "a storage",
        Tensor => "a tensor",
        byte[] => "bytes",
        _ => o.GetType().Name,
    };
}
