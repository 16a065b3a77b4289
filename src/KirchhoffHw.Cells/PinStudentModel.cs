using KirchhoffHw.Model.Devices;

namespace KirchhoffHw.Cells;

/// <summary>
/// A device as its pin-level cell behaves (<see cref="PinMacroModel"/>), parameterized by the ideal law's own
/// parameters so that a calibration moves exactly what a design file stores. With (A, B, C, Amplitude) the ideal
/// model's affine form of p, the cell sees a = A, b = B, c = C and per part j amp_j = Amplitude * s_j; g_j, s_j (the
/// realized output per unit amplitude) and the orientation r_j are frozen at the sizing of the trained parameters, as
/// <see cref="Lowering.Macro"/> built them. Parameters: the ideal ones, then per part g_j, s_j, r_j.
/// With an input map (the v2 cells, <see cref="RegulatedPinLaw"/>) four more frozen values follow, ka, kb, kc, c0: the
/// cell sees a = ka A, b = kb B, c = kc C + c0, what the v2 deck draws for the ideal form (node 0's terminal has no copies,
/// c is realized from node 0's measured lines and the standing copies' offset).
/// Solved by the reference only (its law has no generator spelling: generate its ideal parameters instead).
/// </summary>
public sealed class PinStudentModel : DeviceModel
{
    private readonly PinMacroModel _cell;
    private readonly int _k, _parts, _map;

    /// <summary>Index (after the ideal parameters) of the input map's first value, when the model has one.</summary>
    public int InputMapOffset => _k + 3 * _parts;

    public PinStudentModel(DeviceModel ideal, PinMacroModel cell, bool inputMap = false)
    {
        if (!ideal.HasAffineForm) throw new NotSupportedException($"no cell for device model {ideal.Name}: its law is not amplitude * act(a*vs + b*vd + c)");
        Ideal = ideal;
        _cell = cell;
        _k = ideal.ParameterCount;
        _parts = cell.Parts.Count;
        _map = inputMap ? _k + 3 * _parts : -1;
        Name = $"{cell.Name}_student";
        ParameterNames = [.. ideal.ParameterNames, .. Enumerable.Range(0, _parts).SelectMany(j => new[] { $"g{j}", $"s{j}", $"rev{j}" }),
            .. inputMap ? new[] { "ka", "kb", "kc", "c0" } : []];
    }

    public DeviceModel Ideal { get; }
    /// <summary>The pin-level cell law the student drives.</summary>
    public PinMacroModel Cell => _cell;
    public override string Name { get; }
    public override string Equation => $"pin-level cell of {Ideal.Name} in its own parameters: {_cell.Equation}, amp_j = amplitude * s_j";
    public override IReadOnlyList<string> ParameterNames { get; }
    public override DeviceFamily Family => Ideal.Family;
    public override bool DependsOnDifferenceOnly => false;
    public override bool IsPinLevel => true;
    public override double InputLag => _cell.InputLag;
    public override Expr Law => throw new NotSupportedException($"{Name} is a calibration student, solved by the reference only; generate its ideal parameters instead");

    /// <summary>The frozen per-part values (g_j, s_j, r_j) of a device whose ideal parameters are <paramref name="ideal"/> and whose cell parameters <paramref name="cell"/> Lowering.Macro built.</summary>
    public static double[] FrozenParts(ReadOnlySpan<double> ideal, DeviceModel model, ReadOnlySpan<double> cell, int parts)
    {
        double amplitude = model.Affine(ideal).Amplitude;
        var frozen = new double[3 * parts];
        for (int j = 0; j < parts; j++)
        {
            frozen[3 * j] = cell[PinMacroModel.Gain(j)];
            frozen[3 * j + 1] = amplitude != 0 ? cell[PinMacroModel.Amplitude(j)] / amplitude : 0;
            frozen[3 * j + 2] = cell[PinMacroModel.Reversed(j)];
        }
        return frozen;
    }

    /// <summary>The cell's own parameters for student parameters <paramref name="p"/>.</summary>
    private AffineForm Inner(ReadOnlySpan<double> p, Span<double> q)
    {
        var f = Ideal.Affine(p[.._k]);
        var (ka, kb, kc, c0) = Map(p);
        q[PinMacroModel.A] = ka * f.A;
        q[PinMacroModel.B] = kb * f.B;
        q[PinMacroModel.C] = kc * f.C + c0;
        for (int j = 0; j < _parts; j++)
        {
            q[PinMacroModel.Gain(j)] = p[_k + 3 * j];
            q[PinMacroModel.Amplitude(j)] = f.Amplitude * p[_k + 3 * j + 1];
            q[PinMacroModel.Reversed(j)] = p[_k + 3 * j + 2];
        }
        return f;
    }

    private (double Ka, double Kb, double Kc, double C0) Map(ReadOnlySpan<double> p) =>
        _map < 0 ? (1, 1, 1, 0) : (p[_map], p[_map + 1], p[_map + 2], p[_map + 3]);

    public override double Current(double vs, double vd, ReadOnlySpan<double> p)
    {
        var (o, i) = PinCurrents(vs, vd, p);
        return 0.5 * (o + i);
    }

    public override (double DVs, double DVd) Gradient(double vs, double vd, ReadOnlySpan<double> p)
    {
        Span<double> q = stackalloc double[_cell.ParameterCount];
        Inner(p, q);
        return _cell.Gradient(vs, vd, q);
    }

    public override void ParameterGradient(double vs, double vd, ReadOnlySpan<double> p, Span<double> dIdp)
    {
        Span<double> o = stackalloc double[p.Length], i = stackalloc double[p.Length];
        PinParameterGradient(vs, vd, p, o, i);
        for (int k = 0; k < p.Length; k++) dIdp[k] = 0.5 * (o[k] + i[k]);
    }

    public override (double OutOfSource, double IntoDestination) PinCurrents(double vs, double vd, ReadOnlySpan<double> p)
    {
        Span<double> q = stackalloc double[_cell.ParameterCount];
        Inner(p, q);
        return _cell.PinCurrents(vs, vd, q);
    }

    public override void PinCurrents(ReadOnlySpan<double> vs, ReadOnlySpan<double> vd, ReadOnlySpan<double> p, Span<double> outOfSource, Span<double> intoDestination) =>
        PinCurrents(_cell.TermsOf(vs, vd), 0, 1, p, outOfSource, intoDestination);

    public override (double SrcDVs, double SrcDVd, double DstDVs, double DstDVd) PinGradient(double vs, double vd, ReadOnlySpan<double> p)
    {
        Span<double> q = stackalloc double[_cell.ParameterCount];
        Inner(p, q);
        return _cell.PinGradient(vs, vd, q);
    }

    public override void PinParameterGradient(double vs, double vd, ReadOnlySpan<double> p, Span<double> outOfSource, Span<double> intoDestination)
    {
        int m = _cell.ParameterCount;
        Span<double> q = stackalloc double[m], qo = stackalloc double[m], qi = stackalloc double[m];
        var f = Inner(p, q);
        _cell.PinParameterGradient(vs, vd, q, qo, qi);
        Span<double> jacobian = stackalloc double[4 * _k];
        Ideal.AffineJacobian(p[.._k], jacobian);
        Chain(p, f, jacobian, qo, outOfSource);
        Chain(p, f, jacobian, qi, intoDestination);
    }

    public override void PinAdjoint(ReadOnlySpan<double> vs, ReadOnlySpan<double> vd, ReadOnlySpan<double> p,
        ReadOnlySpan<double> weightOut, ReadOnlySpan<double> weightIn, Span<double> gradVs, Span<double> gradVd, Span<double> gradP) =>
        PinAdjoint(_cell.TermsOf(vs, vd), 0, 1, p, weightOut, weightIn, gradVs, gradVd, gradP);

    public override PinNodeTerms? PrepareNodes(ReadOnlySpan<double> state, int width, PinNodeTerms? reuse) => _cell.PrepareNodes(state, width, reuse);

    public override void PinCurrents(PinNodeTerms terms, int source, int destination, ReadOnlySpan<double> p, Span<double> outOfSource, Span<double> intoDestination)
    {
        Span<double> q = stackalloc double[_cell.ParameterCount];
        Inner(p, q);
        _cell.PinCurrents(terms, source, destination, q, outOfSource, intoDestination);
    }

    /// <summary>
    /// The cell's batched reverse-mode product, chained onto the student's parameters: the calibration's backward pass
    /// spends most of its time here, and the per-sample fallback would rebuild the cell's parameters and read every pin
    /// table twice per sample.
    /// </summary>
    public override void PinAdjoint(PinNodeTerms terms, int source, int destination, ReadOnlySpan<double> p,
        ReadOnlySpan<double> weightOut, ReadOnlySpan<double> weightIn, Span<double> gradVs, Span<double> gradVd, Span<double> gradP)
    {
        int n = terms.Width, m = _cell.ParameterCount;
        Span<double> q = stackalloc double[m];
        var f = Inner(p, q);
        double[]? rented = m * n > 2048 ? new double[m * n] : null;
        Span<double> gq = rented is null ? stackalloc double[m * n] : rented;
        gq.Clear();
        _cell.PinAdjoint(terms, source, destination, q, weightOut, weightIn, gradVs, gradVd, gq);
        ChainAdjoint(p, f, gq, weightOut, weightIn, gradP);
    }

    /// <summary>The cell's batched parameter gradient <paramref name="gq"/> (per cell parameter, n samples) onto the student's.</summary>
    private void ChainAdjoint(ReadOnlySpan<double> p, AffineForm f, ReadOnlySpan<double> gq, ReadOnlySpan<double> weightOut, ReadOnlySpan<double> weightIn, Span<double> gradP)
    {
        int n = weightOut.Length;
        Span<double> jacobian = stackalloc double[4 * _k];
        Ideal.AffineJacobian(p[.._k], jacobian);
        for (int b = 0; b < n; b++)
        {
            if (weightOut[b] == 0 && weightIn[b] == 0) continue;
            double dAmplitude = 0;
            for (int j = 0; j < _parts; j++)
            {
                double dAmp = gq[PinMacroModel.Amplitude(j) * n + b];
                dAmplitude += dAmp * p[_k + 3 * j + 1];
                gradP[(_k + 3 * j) * n + b] += gq[PinMacroModel.Gain(j) * n + b];
                gradP[(_k + 3 * j + 1) * n + b] += dAmp * f.Amplitude;
                gradP[(_k + 3 * j + 2) * n + b] += gq[PinMacroModel.Reversed(j) * n + b];
            }
            var (ka, kb, kc, _) = Map(p);
            double da = ka * gq[PinMacroModel.A * n + b], db = kb * gq[PinMacroModel.B * n + b], dc = kc * gq[PinMacroModel.C * n + b];
            for (int i = 0; i < _k; i++)
                gradP[i * n + b] += da * jacobian[i] + db * jacobian[_k + i] + dc * jacobian[2 * _k + i] + dAmplitude * jacobian[3 * _k + i];
            if (_map >= 0)
            {
                double gc = gq[PinMacroModel.C * n + b];
                gradP[_map * n + b] += gq[PinMacroModel.A * n + b] * f.A;
                gradP[(_map + 1) * n + b] += gq[PinMacroModel.B * n + b] * f.B;
                gradP[(_map + 2) * n + b] += gc * f.C;
                gradP[(_map + 3) * n + b] += gc;
            }
        }
    }

    /// <summary>d(pin current)/d(student parameters) from d(pin current)/d(cell parameters) <paramref name="dq"/>.</summary>
    private void Chain(ReadOnlySpan<double> p, AffineForm f, ReadOnlySpan<double> jacobian, ReadOnlySpan<double> dq, Span<double> dp)
    {
        double dAmplitude = 0;
        for (int j = 0; j < _parts; j++)
        {
            double s = p[_k + 3 * j + 1];
            dAmplitude += dq[PinMacroModel.Amplitude(j)] * s;
            dp[_k + 3 * j] = dq[PinMacroModel.Gain(j)];
            dp[_k + 3 * j + 1] = dq[PinMacroModel.Amplitude(j)] * f.Amplitude;
            dp[_k + 3 * j + 2] = dq[PinMacroModel.Reversed(j)];
        }
        var (ka, kb, kc, _) = Map(p);
        for (int i = 0; i < _k; i++)
            dp[i] = ka * dq[PinMacroModel.A] * jacobian[i] + kb * dq[PinMacroModel.B] * jacobian[_k + i] + kc * dq[PinMacroModel.C] * jacobian[2 * _k + i]
                + dAmplitude * jacobian[3 * _k + i];
        if (_map >= 0)
        {
            dp[_map] = dq[PinMacroModel.A] * f.A; dp[_map + 1] = dq[PinMacroModel.B] * f.B;
            dp[_map + 2] = dq[PinMacroModel.C] * f.C; dp[_map + 3] = dq[PinMacroModel.C];
        }
    }
}
