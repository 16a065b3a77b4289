namespace KirchhoffHw.Report;

/// <summary>The chip-level estimates. Each has one key in report.json (<see cref="EstimateKeys.Json"/>), documented in docs/report-schema.md.</summary>
public enum EstimateKey
{
    DeviceBiasMax,
    DevicesOutOfRange,
    AreaCells,
    AreaSwitches,
    AreaCapacitors,
    AreaTotal,
    PowerStatic,
    EnergyStatic,
    EnergyPrecharge,
    EnergySwitching,
    EnergyReadout,
    EnergyPerInference,
    Latency,
    PowerAverage,
    Throughput,
}

public static class EstimateKeys
{
    public static string Json(this EstimateKey key) => key switch
    {
        EstimateKey.DeviceBiasMax => "device_bias_max_a",
        EstimateKey.DevicesOutOfRange => "devices_out_of_range",
        EstimateKey.AreaCells => "area_cells_m2",
        EstimateKey.AreaSwitches => "area_switches_m2",
        EstimateKey.AreaCapacitors => "area_capacitors_m2",
        EstimateKey.AreaTotal => "area_total_m2",
        EstimateKey.PowerStatic => "power_static_w",
        EstimateKey.EnergyStatic => "energy_static_j",
        EstimateKey.EnergyPrecharge => "energy_precharge_j",
        EstimateKey.EnergySwitching => "energy_switching_j",
        EstimateKey.EnergyReadout => "energy_readout_j",
        EstimateKey.EnergyPerInference => "energy_per_inference_j",
        EstimateKey.Latency => "latency_s",
        EstimateKey.PowerAverage => "power_average_w",
        EstimateKey.Throughput => "throughput_per_s",
        _ => throw new ArgumentOutOfRangeException(nameof(key)),
    };
}
