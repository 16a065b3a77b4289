namespace KirchhoffHw.Cells.Tests;

/// <summary>
/// A waveform's response to a step at <c>t0</c>, in time units from the step: when it last left 10 % (and 2 %) of the
/// change around where it ends, and how far it rang past its final value, as a share of the change.
/// </summary>
internal sealed record StepResponse(double Initial, double Final, double Settled10, double Settled2, double Overshoot)
{
    public double Change => Final - Initial;

    public static StepResponse Of(double[] time, double[] y, double t0, double timeUnit)
    {
        int before = Array.FindLastIndex(time, x => x <= t0);
        double y0 = y[before], yf = y[^1], change = yf - y0;
        double Settled(double share)
        {
            int last = Array.FindLastIndex(y, v => Math.Abs(v - yf) > share * Math.Abs(change));
            return last < before ? 0 : (time[last] - t0) / timeUnit;
        }
        double overshoot = Enumerable.Range(before, y.Length - before).Max(i => (y[i] - yf) * Math.Sign(change)) / Math.Abs(change);
        return new StepResponse(y0, yf, Settled(0.1), Settled(0.02), overshoot);
    }
}
