using System.Globalization;
using KirchhoffHw.Bench;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string[] known = ["reference", "cosim", "verilog", "mos", "slurm", "calibration", "all"];
if (args.Length != 1 || !known.Contains(args[0]))
{
    Console.Error.WriteLine($"usage: KirchhoffHw.Bench {string.Join("|", known)}");
    return 2;
}
string root = FindRoot();
string models = Path.GetFullPath(Path.Combine(root, "..", "shared", "models"));
int rc = 0;
if (args[0] is "reference" or "all") rc |= ReferenceBench.Run(root, models);
if (args[0] is "verilog" or "all")
{
    var figures = VerilogAmsBench.Run(models);
    var path = Path.Combine(root, "bench", "results", "verilog-ams.json");
    KirchhoffHw.Model.IO.AtomicFile.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(figures, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
    Console.WriteLine($"wrote {path}");
}
if (args[0] is "cosim" or "all") rc |= CosimBench.Run(root, models);
if (args[0] is "mos" or "all") rc |= MosBench.Run(root, models);
if (args[0] is "slurm" or "all") rc |= SlurmBench.Run(root, models);
if (args[0] is "calibration" or "all") rc |= CalibrationBench.Run(root, models);
return rc;

static string FindRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "KirchhoffHw.sln"))) dir = dir.Parent;
    return dir?.FullName ?? Directory.GetCurrentDirectory();
}
