using System.Globalization;
using KirchhoffHw.Model;

namespace KirchhoffHw.Slurm;

/// <summary>A submitted array job: its id, the script it ran and where its tasks' logs go.</summary>
public sealed record SlurmArrayJob(string JobId, string ScriptPath, string LogDirectory, IReadOnlyList<int> Indices, int? MaxParallel)
{
    public string LogPath(int index) => SbatchScript.LogPath(LogDirectory, JobId, index);

    public string TaskId(int index) => JobId + "_" + index.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Every task of a followed job in its final state.</summary>
public sealed record ArrayJobResult(SlurmArrayJob Job, IReadOnlyList<ArrayTaskStatus> Tasks)
{
    public bool AllCompleted => Tasks.All(t => t.State == TaskState.Completed);

    public IReadOnlyList<ArrayTaskStatus> NotCompleted => Tasks.Where(t => t.State != TaskState.Completed).ToList();

    /// <summary>Throws, one line per task that did not complete (at its log file), unless every task completed.</summary>
    public void EnsureCompleted()
    {
        var bad = NotCompleted;
        if (bad.Count == 0) return;
        throw new KirchhoffHwException(bad.Select(t => new Diagnostic(new SourceLocation(t.LogPath), t.Describe())).ToList());
    }
}

/// <summary>
/// Submits, follows, cancels and resubmits sbatch array jobs through Slurm's own commands. States come from
/// `scontrol show job` (all a cluster without accounting has, kept MinJobAge seconds after a task ends) and,
/// where the site keeps accounting, from `sacct` for tasks slurmctld has already forgotten.
/// </summary>
public sealed class SlurmClient(SlurmOptions? options = null)
{
    private readonly SlurmCommands _commands = new(options ?? SlurmOptions.Default);
    private Dictionary<string, string>? _config;

    public SlurmOptions Options => _commands.Options;

    /// <summary>The SLURM_CONF in use (null: the environment's or Slurm's default).</summary>
    public string? ConfigFile => _commands.ConfigFile;

    /// <summary>Fails, with the way to fix it, unless the programs that submit, follow and cancel jobs are all on PATH.</summary>
    public void RequireCommands() => _commands.Require("sbatch", "scontrol", "scancel");

    /// <summary>Writes the spec's script to <paramref name="scriptPath"/> and submits every task.</summary>
    public SlurmArrayJob Submit(ArrayJobSpec spec, string scriptPath, CancellationToken cancel = default)
    {
        var script = SbatchScript.WriteFile(spec, scriptPath);
        Directory.CreateDirectory(spec.LogDirectory);
        if (spec.JournalDirectory is not null) Directory.CreateDirectory(spec.JournalDirectory);
        var indices = Enumerable.Range(0, spec.TaskCount).ToList();
        return Sbatch(script, spec.LogDirectory, indices, spec.MaxParallel, overrideArray: false, cancel);
    }

    /// <summary>Submits the job's script again for the given tasks only (a new array job with those indices).</summary>
    public SlurmArrayJob Resubmit(SlurmArrayJob job, IEnumerable<int> indices, CancellationToken cancel = default)
    {
        var list = indices.Distinct().Order().ToList();
        var unknown = list.Where(i => !job.Indices.Contains(i)).ToList();
        if (list.Count == 0 || unknown.Count > 0)
            throw new KirchhoffHwException(job.ScriptPath, list.Count == 0 ? "no tasks to resubmit"
                : $"job {job.JobId} has no task {string.Join(", ", unknown)}");
        return Sbatch(job.ScriptPath, job.LogDirectory, list, job.MaxParallel, overrideArray: true, cancel);
    }

    private SlurmArrayJob Sbatch(string script, string logDirectory, IReadOnlyList<int> indices, int? maxParallel,
        bool overrideArray, CancellationToken cancel)
    {
        var args = new List<string> { "--parsable" };
        // sbatch's command line overrides the script's #SBATCH --array, so the script itself never changes.
        if (overrideArray) args.Add("--array=" + SbatchScript.ArraySpec(indices, maxParallel));
        args.Add(script);
        var result = _commands.Run("sbatch", args, cancel);
        if (result.ExitCode != 0) throw new KirchhoffHwException(script, "Slurm refused the job: " + Hint(result.Message));
        // --parsable prints "<id>" or "<id>;<cluster>".
        var id = result.Stdout.Trim().Split(';')[0];
        if (id.Length == 0 || !id.All(char.IsAsciiDigit))
            throw new KirchhoffHwException(script, $"sbatch printed no job id: '{result.Stdout.Trim()}'");
        return new SlurmArrayJob(id, script, logDirectory, indices, maxParallel);
    }

    private static string Hint(string message) =>
        message.Contains("Unable to contact slurm controller", StringComparison.OrdinalIgnoreCase)
        || message.Contains("Could not establish a configuration source", StringComparison.OrdinalIgnoreCase)
        || message.Contains("unable to read", StringComparison.OrdinalIgnoreCase)
            ? message + " (is the cluster up? `make cluster` starts this machine's)"
            : message;

    /// <summary>Every task's state now; a task Slurm does not report is <see cref="TaskState.Unknown"/>.</summary>
    public IReadOnlyList<ArrayTaskStatus> Query(SlurmArrayJob job, CancellationToken cancel = default)
    {
        var seen = new Dictionary<int, JobRecord>();
        foreach (var r in Scontrol(job, cancel))
            foreach (var i in r.Indices) seen[i] = r;
        if (job.Indices.Any(i => !seen.ContainsKey(i)) && HasAccounting(cancel))
            foreach (var r in Sacct(job, cancel))
                foreach (var i in r.Indices) seen.TryAdd(i, r);
        return job.Indices.Select(i => seen.TryGetValue(i, out var r)
            ? new ArrayTaskStatus(i, job.TaskId(i), TaskStates.Parse(r.State), r.State, job.LogPath(i), r.ExitCode, r.Signal, r.Reason, r.Node)
            : new ArrayTaskStatus(i, job.TaskId(i), TaskState.Unknown, "not found", job.LogPath(i))).ToList();
    }

    /// <summary>
    /// Polls until every task has finished (or Slurm does not know the job), reporting progress whenever a
    /// count changes. A slurmctld that stops answering for a few polls in a row ends the follow with its error.
    /// </summary>
    public ArrayJobResult Follow(SlurmArrayJob job, IProgress<ArrayProgress>? progress = null, CancellationToken cancel = default)
    {
        string? last = null;
        return Follow([job], tasks =>
        {
            var snapshot = ArrayProgress.Of(job.JobId, tasks[0]);
            var text = snapshot.ToString();
            if (text != last) progress?.Report(snapshot);
            last = text;
        }, cancel)[0];
    }

    /// <summary>
    /// Polls several jobs until every task of each has finished (or Slurm does not know the job), handing every
    /// poll's task states to <paramref name="poll"/> (one list per job, in order). A slurmctld that stops answering
    /// for a few polls in a row ends the follow with its error.
    /// </summary>
    public IReadOnlyList<ArrayJobResult> Follow(IReadOnlyList<SlurmArrayJob> jobs, Action<IReadOnlyList<IReadOnlyList<ArrayTaskStatus>>>? poll,
        CancellationToken cancel = default)
    {
        var results = new ArrayJobResult?[jobs.Count];
        var current = new IReadOnlyList<ArrayTaskStatus>[jobs.Count];
        var vanished = new int[jobs.Count];
        var everSeen = new bool[jobs.Count];
        var failures = 0;
        while (true)
        {
            try
            {
                for (var j = 0; j < jobs.Count; j++)
                    if (results[j] is null) current[j] = Query(jobs[j], cancel);
                failures = 0;
            }
            catch (KirchhoffHwException) when (++failures < 5 && !cancel.IsCancellationRequested)
            {
                Wait(cancel);
                continue;
            }
            for (var j = 0; j < jobs.Count; j++)
            {
                if (results[j] is not null) continue;
                var tasks = current[j];
                if (tasks.All(t => t.State.IsFinished()))
                {
                    results[j] = new ArrayJobResult(jobs[j], tasks);
                    continue;
                }
                var known = tasks.Any(t => t.State != TaskState.Unknown);
                everSeen[j] |= known;
                // Forgotten by slurmctld (MinJobAge passed while nobody followed) with no accounting to ask, or
                // never known: nothing more will come.
                vanished[j] = known ? 0 : vanished[j] + 1;
                if (vanished[j] >= (everSeen[j] ? 3 : 10)) results[j] = new ArrayJobResult(jobs[j], tasks);
            }
            poll?.Invoke(current);
            if (results.All(r => r is not null)) return results!;
            Wait(cancel);
        }
    }

    /// <summary>A value of the cluster's configuration (`scontrol show config`), or null when it has no such line.</summary>
    public string? ConfigValue(string key, CancellationToken cancel = default)
    {
        if (_config is null)
        {
            var result = _commands.Run("scontrol", ["show", "config"], cancel);
            if (result.ExitCode != 0) throw new KirchhoffHwException("scontrol", "cannot read the Slurm configuration: " + Hint(result.Message));
            var config = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var line in result.Stdout.Split('\n'))
            {
                var eq = line.IndexOf(" = ", StringComparison.Ordinal);
                if (eq > 0) config[line[..eq].Trim()] = line[(eq + 3)..].Trim();
            }
            _config = config;
        }
        return _config.GetValueOrDefault(key);
    }

    /// <summary>How many tasks one array job may have (its indices run from 0 to this less one): the cluster's MaxArraySize.</summary>
    public int MaxArraySize(CancellationToken cancel = default) =>
        int.TryParse(ConfigValue("MaxArraySize", cancel), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 1001;

    private void Wait(CancellationToken cancel) => cancel.WaitHandle.WaitOne(Options.PollInterval);

    /// <summary>Cancels the whole job, or only the given tasks.</summary>
    public void Cancel(SlurmArrayJob job, IEnumerable<int>? indices = null, CancellationToken cancel = default)
    {
        var targets = indices is null ? [job.JobId] : indices.Distinct().Order().Select(job.TaskId).ToList();
        if (targets.Count == 0) return;
        var result = _commands.Run("scancel", targets, cancel);
        if (result.ExitCode != 0) throw new KirchhoffHwException("scancel", $"cannot cancel {string.Join(" ", targets)}: {result.Message}");
    }

    /// <summary>Whether the cluster keeps accounting (then sacct knows tasks slurmctld has forgotten).</summary>
    public bool HasAccounting(CancellationToken cancel = default) =>
        ConfigValue("AccountingStorageType", cancel) is { } storage && !storage.Contains("accounting_storage/none", StringComparison.Ordinal);

    private IReadOnlyList<JobRecord> Scontrol(SlurmArrayJob job, CancellationToken cancel)
    {
        var result = _commands.Run("scontrol", ["show", "job", "-o", job.JobId], cancel);
        if (result.ExitCode == 0) return JobRecords.ParseScontrol(result.Stdout, job.JobId);
        if (result.Message.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase)) return [];
        throw new KirchhoffHwException("scontrol", $"cannot read job {job.JobId}: " + Hint(result.Message));
    }

    private IReadOnlyList<JobRecord> Sacct(SlurmArrayJob job, CancellationToken cancel)
    {
        var result = _commands.Run("sacct",
            ["--noheader", "--parsable2", "--allocations", "--jobs", job.JobId, "--format=JobID,State,ExitCode,NodeList,Reason"], cancel);
        if (result.ExitCode != 0) throw new KirchhoffHwException("sacct", $"cannot read job {job.JobId}: {result.Message}");
        return JobRecords.ParseSacct(result.Stdout, job.JobId);
    }
}
