using System.Runtime.InteropServices;
using System.Text.Json;
using KirchhoffHw.Model;

namespace KirchhoffHw.Bench;

/// <summary>
/// Hands a design and its inputs to the Python peer as raw little-endian arrays plus a JSON header, so the
/// peer needs nothing but numpy.fromfile (no checkpoint parsing of its own).
/// </summary>
public static class PeerExport
{
    public static string Write(string dir, string name, Design design, double[][] inputs, double tol)
    {
        Directory.CreateDirectory(dir);
        string File(string suffix) => Path.Combine(dir, $"{name}.{suffix}.bin");
        var layers = new List<object>();
        for (int l = 0; l < design.Layers.Count; l++)
        {
            var layer = design.Layers[l];
            WriteArray(File($"l{l}.src"), layer.Edges.Source);
            WriteArray(File($"l{l}.dst"), layer.Edges.Destination);
            WriteArray(File($"l{l}.theta"), layer.Theta);
            layers.Add(new
            {
                t0 = layer.TStart, t1 = layer.TEnd, model = layer.Model.Name, edges = layer.Edges.Count,
                parameters = layer.Model.ParameterCount,
                src = File($"l{l}.src"), dst = File($"l{l}.dst"), theta = File($"l{l}.theta"),
            });
        }
        var flat = new double[inputs.Length * design.NodeCount];
        for (int i = 0; i < inputs.Length; i++) design.Input.Apply(inputs[i], flat.AsSpan(i * design.NodeCount, design.NodeCount));
        WriteArray(File("initial"), flat);
        var header = Path.Combine(dir, $"{name}.json");
        System.IO.File.WriteAllText(header, JsonSerializer.Serialize(new
        {
            name, nodes = design.NodeCount, cases = inputs.Length, tol, layers,
            initial = File("initial"), output_nodes = design.OutputNodes, result = File("peer_output"),
        }));
        return header;
    }

    public static double[] ReadDoubles(string path) => MemoryMarshal.Cast<byte, double>(System.IO.File.ReadAllBytes(path)).ToArray();

    private static void WriteArray<T>(string path, T[] values) where T : unmanaged =>
        System.IO.File.WriteAllBytes(path, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
}
