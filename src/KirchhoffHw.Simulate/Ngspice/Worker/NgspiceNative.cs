using System.Runtime.InteropServices;

namespace KirchhoffHw.Simulate.Ngspice.Worker;

/// <summary>
/// The entry points of libngspice (sharedspice.h, ngspice 39) as unmanaged function pointers, looked up once.
/// Function pointers and [UnmanagedCallersOnly] callbacks instead of DllImport and delegates: the library name
/// comes from options at run time (no process-wide resolver), and there is no delegate the GC could collect
/// while ngspice still holds its address.
/// </summary>
internal sealed unsafe class NgspiceNative
{
    public readonly delegate* unmanaged[Cdecl]<nint, nint, nint, nint, nint, nint, nint, int> Init;
    public readonly delegate* unmanaged[Cdecl]<byte*, int> Command;
    public readonly delegate* unmanaged[Cdecl]<byte**, int> Circ;
    public readonly delegate* unmanaged[Cdecl]<byte*> CurPlot;
    public readonly delegate* unmanaged[Cdecl]<byte*, byte**> AllVecs;
    public readonly delegate* unmanaged[Cdecl]<byte*, VectorInfo*> GetVecInfo;
    public readonly delegate* unmanaged[Cdecl]<byte> Running; // NG_BOOL is C's one-byte _Bool

    public string LibraryPath { get; }

    private NgspiceNative(nint handle, string path)
    {
        LibraryPath = path;
        Init = (delegate* unmanaged[Cdecl]<nint, nint, nint, nint, nint, nint, nint, int>)NativeLibrary.GetExport(handle, "ngSpice_Init");
        Command = (delegate* unmanaged[Cdecl]<byte*, int>)NativeLibrary.GetExport(handle, "ngSpice_Command");
        Circ = (delegate* unmanaged[Cdecl]<byte**, int>)NativeLibrary.GetExport(handle, "ngSpice_Circ");
        CurPlot = (delegate* unmanaged[Cdecl]<byte*>)NativeLibrary.GetExport(handle, "ngSpice_CurPlot");
        AllVecs = (delegate* unmanaged[Cdecl]<byte*, byte**>)NativeLibrary.GetExport(handle, "ngSpice_AllVecs");
        GetVecInfo = (delegate* unmanaged[Cdecl]<byte*, VectorInfo*>)NativeLibrary.GetExport(handle, "ngGet_Vec_Info");
        Running = (delegate* unmanaged[Cdecl]<byte>)NativeLibrary.GetExport(handle, "ngSpice_running");
    }

    /// <summary>Loads the first library name that the dynamic loader finds, or returns null.</summary>
    public static NgspiceNative? TryLoad(IReadOnlyList<string> names, out string tried)
    {
        var attempts = new List<string>();
        foreach (var name in names)
        {
            if (NativeLibrary.TryLoad(name, out var handle))
            {
                try
                {
                    tried = string.Join(", ", attempts.Append(name));
                    return new NgspiceNative(handle, name);
                }
                catch (EntryPointNotFoundException e)
                {
                    attempts.Add($"{name} ({e.Message})");
                    NativeLibrary.Free(handle);
                }
            }
            else attempts.Add(name);
        }
        tried = string.Join(", ", attempts);
        return null;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct VectorInfo
    {
        public byte* Name;
        public int Type;
        public short Flags;
        public double* RealData;
        public double* ComplexData; // ngcomplex_t: {double re, im}
        public int Length;
    }
}
