using KirchhoffHw.Model;

namespace KirchhoffHw.Simulate;

/// <summary>
/// A missing ngspice is the machine's problem, not the circuit's: before a batch starts, one trivial deck is
/// run, and a simulator that is not installed ends the command as an environment error with its install hint,
/// instead of a verdict that blames every case.
/// </summary>
public static class SimulatorCheck
{
    private const string Probe = "kirchhoffhw probe\nC1 n1 0 1e-12 ic=1\nR1 n1 0 1e3\n.tran 1e-10 1e-9 uic\n.end\n";

    public static void Require(Func<ISpiceSimulator> simulators)
    {
        using var simulator = simulators();
        var result = simulator.Run(new SimulationRequest(Probe, ["v(n1)"], TimeSpan.FromMinutes(1)));
        if (result.Status == SimulationStatus.SimulatorMissing)
            throw new KirchhoffHwException(simulator.Name, result.Message ?? "ngspice is not installed");
    }
}
