namespace KirchhoffHw.Import.Cases;

/// <summary>The full node state (nodes 1..n) at time T, the end of one layer.</summary>
public sealed record Boundary(double T, double[] State);

/// <summary>One input and what the model makes of it: the state at each layer boundary and the read-out.</summary>
public sealed record Case(double[] Input, IReadOnlyList<Boundary> Boundaries, double[] Output);

/// <summary>Cases plus free-form metadata (checkpoint, solver, ...), the shape of the shared vectors.json.</summary>
public sealed record CaseSet(IReadOnlyList<Case> Cases, IReadOnlyDictionary<string, object?> Metadata);

public enum RandomInputKind { Uniform01, StandardNormal }
