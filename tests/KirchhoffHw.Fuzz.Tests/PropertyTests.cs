using System.IO.Compression;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using PropertyAttribute = FsCheck.NUnit.PropertyAttribute;
using KirchhoffHw.Import;
using KirchhoffHw.Import.AuthorsConfig;
using KirchhoffHw.Import.Cases;
using KirchhoffHw.Import.Pth;
using KirchhoffHw.Import.Tests;
using KirchhoffHw.Model;
using KirchhoffHw.Model.Devices;
using KirchhoffHw.Model.Text;

namespace KirchhoffHw.Fuzz.Tests;

/// <summary>Generators for the properties: any Unicode text, and byte-level mutations of real inputs.</summary>
public static class Arbitraries
{
    /// <summary>Strings of Unicode scalar values from every plane, weighted toward the characters that break formats.</summary>
    public static Arbitrary<string> UnicodeText()
    {
        var awkward = Gen.Elements('\n', '\r', '\t', '\0', '\u001b', '\u007f', '\u0085', '\u00a0', '\u2028', '\u2029', '\ufeff', '\ufffe', '\uffff',
            '"', '\'', '\\', ':', '#', '-', '[', ']', '{', '}', '&', '*', '!', '|', '>', '%', '@', '`', '<', ' ').Select(c => c.ToString());
        var bmp = Gen.Choose(0, 0xFFFF).Where(c => c is < 0xD800 or > 0xDFFF).Select(c => ((char)c).ToString());
        var astral = Gen.Choose(0x10000, 0x10FFFF).Select(char.ConvertFromUtf32);
        var ascii = Gen.Choose(0x20, 0x7E).Select(c => ((char)c).ToString());
        var piece = Gen.Frequency((4, ascii), (3, awkward), (2, bmp), (1, astral));
        return Gen.ListOf(piece).Select(parts => string.Concat(parts)).ToArbitrary();
    }

    /// <summary>A few byte flips, truncations or insertions of a real file.</summary>
    public static Gen<byte[]> Mutations(byte[] original) =>
        from kind in Gen.Choose(0, 3)
        from at in Gen.Choose(0, original.Length - 1)
        from value in Gen.Choose(0, 255)
        from count in Gen.Choose(1, 8)
        select kind switch
        {
            0 => Flip(original, at, value, count),
            1 => original[..at],
            2 => [.. original[..at], .. Enumerable.Repeat((byte)value, count * 37), .. original[at..]],
            _ => Flip(original, at, 0xFF, count),
        };

    private static byte[] Flip(byte[] original, int at, int value, int count)
    {
        var copy = (byte[])original.Clone();
        for (int i = 0; i < count && at + i < copy.Length; i++) copy[at + i] ^= (byte)(value | 1);
        return copy;
    }
}

/// <summary>
/// Properties over generated input: text round-trips and escapes for any Unicode, and every mutation of a
/// real pickle, design, config or input file ends either in a result or in a located KirchhoffHwException,
/// never in another exception.
/// </summary>
public class PropertyTests
{
    private static readonly string Dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"kh-props-{Guid.NewGuid():N}")).FullName;

    [OneTimeTearDown] public void Clean() => Directory.Delete(Dir, recursive: true);

    private static Design Named(string name) =>
        new(name, 1, [new Layer(0, 1, DeviceModels.Find("Conductance")!, new EdgeList([1], [0]), [0.5])], new InputMap(1), Readout.AllNodes);

    [Property(MaxTest = 500)]
    public Property When_AnyUnicodeNameIsExported_Expect_ImportGivesItBack() =>
        Prop.ForAll(Arbitraries.UnicodeText(), name =>
        {
            var text = new StringWriter();
            DesignYaml.Write(Named(name), text);
            return DesignYaml.Parse(text.ToString(), "p.yaml").Name == name;
        });

    /// <summary>A tab moves the cursor and nothing else, so it alone is printed as it is.</summary>
    [Property(MaxTest = 500)]
    public Property When_AnyTextIsEscapedForTheTerminal_Expect_NoControlCharacterLeft() =>
        Prop.ForAll(Arbitraries.UnicodeText(), text =>
            TerminalText.Escape(text).All(c => c == '\t' || !(char.IsControl(c) || c is '\u2028' or '\u2029' or '\ufeff')));

    [Property(MaxTest = 500)]
    public Property When_AnyTextIsInterpolatedIntoMarkdown_Expect_NoMarkupAndNoLineBreak() =>
        Prop.ForAll(Arbitraries.UnicodeText(), text =>
        {
            var plain = new MarkdownEscaper();
            plain.Observe("| a | ");
            var cell = plain.Escape(text);
            var code = new MarkdownEscaper();
            code.Observe("- command: `");
            var inCode = code.Escape(text);
            return !cell.Contains('\n') && !cell.Contains('\r') && !inCode.Contains('`') && !inCode.Contains('\n')
                && AllEscaped(cell, "<>[]*_|&~`");
        });

    /// <summary>Every character of <paramref name="special"/> in <paramref name="s"/> follows a backslash that is not itself escaped.</summary>
    private static bool AllEscaped(string s, string special)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\') { i++; continue; }
            if (special.Contains(s[i])) return false;
        }
        return true;
    }

    private static readonly byte[] TwomoonPth = File.ReadAllBytes(RepoPaths.Model("twomoon", "model.pth"));
    private static readonly byte[] TwomoonPickle = ReadEntry(TwomoonPth, "data.pkl");

    private static byte[] ReadEntry(byte[] zip, string suffix)
    {
        using var archive = new ZipArchive(new MemoryStream(zip));
        using var s = archive.Entries.First(e => e.FullName.EndsWith(suffix, StringComparison.Ordinal)).Open();
        var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    private static bool EndsWell(Action action)
    {
        try { action(); return true; }
        catch (KirchhoffHwException e) { return e.Diagnostics.Count > 0 && e.Diagnostics.All(d => d.Location.File.Length > 0); }
    }

    [Property(MaxTest = 300)]
    public Property When_TheTwomoonPickleIsMutated_Expect_ATensorDictOrALocatedError() =>
        Prop.ForAll(Arbitraries.Mutations(TwomoonPickle).ToArbitrary(), pickle =>
        {
            var storages = Enumerable.Range(0, 2).Select(i => (i.ToString(), ReadEntry(TwomoonPth, $"data/{i}"))).ToArray();
            var path = Fixtures.WritePth(Path.Combine(Dir, $"m{Guid.NewGuid():N}.pth"), pickle, storages);
            try { return EndsWell(() => PthReader.Read(path)); }
            finally { File.Delete(path); }
        });

    [Property(MaxTest = 300)]
    public Property When_TheTwomoonZipIsMutated_Expect_ATensorDictOrALocatedError() =>
        Prop.ForAll(Arbitraries.Mutations(TwomoonPth).ToArbitrary(), bytes =>
        {
            var path = Path.Combine(Dir, $"z{Guid.NewGuid():N}.pth");
            File.WriteAllBytes(path, bytes);
            try { return EndsWell(() => PthReader.Read(path)); }
            finally { File.Delete(path); }
        });

    private static readonly byte[] Spiral = File.ReadAllBytes(Path.Combine(RepoPaths.Designs, "spiral.yaml"));
    private static readonly byte[] MnistConfig = File.ReadAllBytes(RepoPaths.Model("mnist", "config.yaml"));

    [Property(MaxTest = 300)]
    public Property When_ADesignIsMutated_Expect_ADesignOrALocatedError() =>
        Prop.ForAll(Arbitraries.Mutations(Spiral).ToArbitrary(), bytes =>
            EndsWell(() => Model.Validation.DesignValidator.Require(DesignYaml.Parse(Encoding.UTF8.GetString(bytes), "s.yaml"), "s.yaml")));

    [Property(MaxTest = 200)]
    public Property When_AConfigIsMutated_Expect_ATopologyOrALocatedError() =>
        Prop.ForAll(Arbitraries.Mutations(MnistConfig).ToArbitrary(), bytes =>
            EndsWell(() => AuthorsConfigReader.Parse(Encoding.UTF8.GetString(bytes), "c.yaml")));

    [Property(MaxTest = 300)]
    public Property When_AnInputFileIsMutated_Expect_RowsOrALocatedError() =>
        Prop.ForAll(Arbitraries.Mutations(Encoding.UTF8.GetBytes("x,y,z\n0.1,0.2,0.3\n-1e-3,2,3.5\n")).ToArbitrary(),
            Arbitraries.Mutations(File.ReadAllBytes(RepoPaths.Model("twomoon", "vectors.json"))).ToArbitrary(), (csv, json) =>
        {
            var a = Path.Combine(Dir, $"i{Guid.NewGuid():N}.csv");
            var b = Path.Combine(Dir, $"i{Guid.NewGuid():N}.json");
            File.WriteAllBytes(a, csv);
            File.WriteAllBytes(b, json);
            try { return EndsWell(() => InputReader.Read(a, 3, 3, _ => { })) && EndsWell(() => InputReader.Read(b)) && EndsWell(() => CaseFile.Read(b)); }
            finally { File.Delete(a); File.Delete(b); }
        });

    /// <summary>Any generator arguments, however large: edges within the memory limit, or an ArgumentException saying why not.</summary>
    [Property(MaxTest = 300)]
    public Property When_GeneratorArgumentsAreAnything_Expect_EdgesOrAnArgumentError()
    {
        // small values build small lists; the extremes must all be refused, quickly
        Gen<int> Arg(int max) => Gen.Frequency((3, Gen.Choose(-1, max)), (1, Gen.Elements(1 << 24, 1 << 30, int.MaxValue, int.MinValue)));
        var args = from c in Arg(3) from w in Arg(8) from h in Arg(8) from k in Arg(4) from r in Arg(3) from p in Gen.Frequency((4, Gen.Choose(-1, 3)), (1, Gen.Elements(40, int.MaxValue)))
                   from pad in Gen.Elements(true, false) select (c, w, h, k, r, p, pad);
        return Prop.ForAll(args.ToArbitrary(), a =>
        {
            try
            {
                var e = TopologyGenerators.NeighborIndex(a.c, a.w, a.h, a.k, a.pad, a.r, parallel: a.p);
                var f = TopologyGenerators.FullyConnect(a.w, a.pad, [a.r, a.k]);
                var m = TopologyGenerators.MixConnect(a.c, a.w, a.h, a.k, a.r, [a.p, a.p], a.pad);
                return new[] { e, f, m }.All(x => x.Source.All(s => s >= 0) && x.Destination.All(d => d >= 0));
            }
            catch (ArgumentException) { return true; }
        });
    }

    /// <summary>Tensor views of any geometry: the copy is exactly the view, or a located refusal.</summary>
    [Property(MaxTest = 300)]
    public Property When_ATensorViewHasAnyGeometry_Expect_TheViewOrALocatedError()
    {
        var dim = Gen.Frequency((4, Gen.Choose(0, 5).Select(x => (long)x)), (1, Gen.Elements(-1L, 1L << 31, 1L << 62, long.MaxValue)));
        var geometry = from rank in Gen.Choose(0, 3)
                       from sizes in Gen.ArrayOf(dim, rank)
                       from strides in Gen.ArrayOf(dim, rank)
                       from offset in dim
                       select (sizes, strides, offset);
        return Prop.ForAll(geometry.ToArbitrary(), g =>
        {
            var pickle = Fixtures.WideStateDictPickle(("w", "FloatStorage", "0", 40, g.offset, g.sizes, g.strides));
            var path = Fixtures.WritePth(Path.Combine(Dir, $"t{Guid.NewGuid():N}.pth"), pickle, ("0", Fixtures.Floats(Enumerable.Range(0, 40).Select(i => (float)i).ToArray())));
            try
            {
                Tensor? t = null;
                if (!EndsWell(() => t = PthReader.Read(path)["w"])) return false;
                if (t is null) return true;
                // element i of the copy is storage[offset + sum(index_d x stride_d)], and storage[j] = j
                var index = new long[g.sizes.Length];
                for (long i = 0; i < t.Data.Length; i++)
                {
                    long pos = g.offset + index.Select((x, d) => x * g.strides[d]).Sum();
                    if (t.Data[i] != pos) return false;
                    for (int d = index.Length - 1; d >= 0 && ++index[d] == g.sizes[d]; d--) index[d] = 0;
                }
                return true;
            }
            finally { File.Delete(path); }
        });
    }
}
