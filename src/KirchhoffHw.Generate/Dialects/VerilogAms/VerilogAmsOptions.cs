namespace KirchhoffHw.Generate.Dialects.VerilogAms;

/// <summary>What the Verilog-AMS files need besides the design (which carries its units).</summary>
public sealed record VerilogAmsOptions
{
    public static readonly VerilogAmsOptions Default = new();

    /// <summary>Input vector in model units (mapped to initial node voltages by the design's input map). Empty = all nodes at 0 V.</summary>
    public IReadOnlyList<double> Input { get; init; } = [];

    /// <summary>
    /// Phase edge (the testbench's transition rise/fall time) in model time units, capped at 1 % of the shortest
    /// layer as in the SPICE deck. The precharge is released one edge after t = 0, which is model time 0.
    /// </summary>
    public double PhaseEdge { get; init; } = 1e-6;
}
