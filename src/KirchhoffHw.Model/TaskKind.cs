namespace KirchhoffHw.Model;

/// <summary>What the outputs mean; the verifier picks its verdicts from it.</summary>
public enum TaskKind { Regression, Classification, Generation }
