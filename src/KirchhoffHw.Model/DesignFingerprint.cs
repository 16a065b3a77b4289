using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace KirchhoffHw.Model;

/// <summary>
/// A short hash of what a design computes, units left out: files made of the same design at other units (a
/// timescale sweep's verdicts, say) carry it, so a report can tell they are of this design and not only of its name.
/// </summary>
public static class DesignFingerprint
{
    /// <summary>SHA-256 over the nodes, task, input map, read-out, node trims and every layer's slice, law, edges and parameters; 16 hex digits.</summary>
    public static string Fingerprint(this Design design)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Text(string s) { Int(s.Length); h.AppendData(Encoding.UTF8.GetBytes(s)); }
        void Int(long v) => h.AppendData(BitConverter.GetBytes(v));
        void Doubles(ReadOnlySpan<double> v) { Int(v.Length); h.AppendData(MemoryMarshal.AsBytes(v)); }
        void Ints(ReadOnlySpan<int> v) { Int(v.Length); h.AppendData(MemoryMarshal.AsBytes(v)); }
        Int(design.NodeCount);
        Text(design.Task.ToString());
        Int(design.Input.Width);
        Text(design.Input.Fill.ToString());
        Text(design.Readout.ToString());
        Doubles(design.NodeTrims ?? []);
        Int(design.Layers.Count);
        foreach (var layer in design.Layers)
        {
            Doubles([layer.TStart, layer.TEnd]);
            Text(layer.Model.Name);
            Ints(layer.Edges.Source);
            Ints(layer.Edges.Destination);
            Doubles(layer.Theta);
        }
        return Convert.ToHexStringLower(h.GetHashAndReset())[..16];
    }
}
