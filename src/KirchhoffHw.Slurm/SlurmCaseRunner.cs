using System.Globalization;
using System.Text.Json;
using KirchhoffHw.Flow;
using KirchhoffHw.Model;
using KirchhoffHw.Model.IO;
using KirchhoffHw.Slurm.Journal;
using KirchhoffHw.Verify;

namespace KirchhoffHw.Slurm;

/// <summary>
/// The files a verification through Slurm keeps beside its verdict, on the filesystem every node mounts:
/// each task's journal in `&lt;verdict&gt;.journal.d/task-&lt;index&gt;.jsonl`, and in `&lt;verdict&gt;.slurm/` every
/// submission's plan and script (`submit-&lt;n&gt;.plan.json`, `submit-&lt;n&gt;.sbatch`), the tasks' logs
/// (`logs/&lt;job&gt;_&lt;index&gt;.log`) and the jobs not yet seen finished (`jobs.json`).
/// </summary>
public sealed class SlurmRunFiles(string verdictPath)
{
    public string VerdictPath { get; } = Path.GetFullPath(verdictPath);
    public string JournalDirectory => TaskJournal.DirectoryFor(VerdictPath);
    public string Folder => VerdictPath + ".slurm";
    public string Logs => Path.Combine(Folder, "logs");
    public string Jobs => Path.Combine(Folder, "jobs.json");
    public string PlanPath(int submission) => Path.Combine(Folder, $"submit-{submission.ToString(CultureInfo.InvariantCulture)}.plan.json");
    public string ScriptPath(int submission) => Path.Combine(Folder, $"submit-{submission.ToString(CultureInfo.InvariantCulture)}.sbatch");

    /// <summary>The first submission number no plan uses yet.</summary>
    public int NextSubmission()
    {
        if (!Directory.Exists(Folder)) return 1;
        var used = Directory.EnumerateFiles(Folder, "submit-*.plan.json")
            .Select(p => Path.GetFileName(p)["submit-".Length..^".plan.json".Length])
            .Select(n => int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var k) ? k : 0);
        return used.DefaultIfEmpty(0).Max() + 1;
    }
}

/// <summary>
/// Runs a verification's cases as a Slurm job array: the cases no journal holds yet are split into tasks of
/// <see cref="SlurmSettings.Chunk"/> cases, written into a <see cref="TaskPlan"/> beside the verdict and submitted
/// (each task is `kirchhoffhw` in worker mode, see <see cref="TaskWorker"/>); the job is followed, and every verdict a
/// task journals is handed to the verifier as it appears, which files it in the run's own journal. A rerun of the
/// same command follows the jobs an earlier run left in flight instead of submitting their cases again, and submits
/// only the cases that neither a journal nor a live task covers. Tasks that end without journaling their cases
/// (failed, cancelled, killed by Slurm) are reported with their Slurm state and log, after everything that did
/// finish is safely journaled.
/// </summary>
public sealed class SlurmCaseRunner(SlurmSettings settings, TaskSource source, VerifyRequest request,
    Action<string>? notice = null, IProgress<SlurmProgress>? progress = null) : ICaseRunner
{
    private sealed record Submission(SlurmArrayJob Job, TaskPlan Plan, string PlanPath);

    public void Run(CaseBatch batch, Action<CaseVerdict> finished, CancellationToken cancel)
    {
        settings.Validate();
        var files = new SlurmRunFiles(request.VerdictPath
            ?? throw new KirchhoffHwException("--scheduler", "a run through Slurm needs an output file: its tasks journal beside it"));
        var client = new SlurmClient(settings.Client);
        client.RequireCommands();
        var pending = batch.Pending.ToDictionary(c => c.Key);
        var reported = new HashSet<string>();
        var records = JobsFile.Load(files.Jobs);

        if (settings.Fresh)
        {
            foreach (var r in records)
                if (Live(client, r.Job, cancel).Count > 0) TryCancel(client, r.Job, "it belongs to the run --fresh replaces");
            records = [];
            JobsFile.Save(files.Jobs, records);
            if (Directory.Exists(files.JournalDirectory)) Directory.Delete(files.JournalDirectory, recursive: true);
        }

        void Harvest()
        {
            foreach (var (key, verdict) in TaskWorker.JournaledVerdicts(files.JournalDirectory))
                if (pending.ContainsKey(key) && reported.Add(key)) finished(verdict);
        }
        Harvest();

        // Jobs an earlier run of this output submitted and did not see finish: their live tasks still cover their cases.
        var following = new List<Submission>();
        var inFlight = new HashSet<string>();
        foreach (var record in records)
        {
            var live = Live(client, record.Job, cancel);
            if (live.Count == 0) continue;
            var plan = TryLoadPlan(record.Plan);
            if (plan is null || plan.RunKey != batch.RunKey)
            {
                // Its tasks would write into this output's journal folder and hold task journals the new tasks need.
                TryCancel(client, record.Job, "it verifies this output with other options or another model");
                continue;
            }
            following.Add(new Submission(record.Job, plan, record.Plan));
            foreach (var t in live)
                foreach (var c in plan.Tasks[t.Index])
                    if (pending.ContainsKey(c.Key) && !reported.Contains(c.Key)) inFlight.Add(c.Key);
            notice?.Invoke($"following job {record.Job.JobId}, submitted by an earlier run of this command: {live.Count} of its tasks are pending or running");
        }

        var remaining = batch.Pending.Where(c => !reported.Contains(c.Key) && !inFlight.Contains(c.Key)).ToList();
        if (remaining.Count > 0)
        {
            var submission = Submit(client, files, batch, remaining, cancel);
            following.Add(submission);
            JobsFile.Save(files.Jobs, following.Select(f => new JobRecord(f.Job, f.PlanPath)).ToList());
        }
        else if (following.Count == 0)
        {
            Finish(files);
            return;
        }

        IReadOnlyList<ArrayJobResult> results;
        var seenFailed = new HashSet<string>();
        string? last = null;
        try
        {
            results = client.Follow(following.Select(s => s.Job).ToList(), states =>
            {
                Harvest();
                var all = states.SelectMany(s => s).ToList();
                foreach (var t in all.Where(t => t.State.IsFinished() && t.State != TaskState.Completed))
                    if (seenFailed.Add(t.SlurmId)) notice?.Invoke($"{t.Describe()} ({t.LogPath})");
                var snapshot = new SlurmProgress(batch.Total - batch.Pending.Count + reported.Count, batch.Total,
                    all.Count(t => t.State is TaskState.Pending or TaskState.Unknown), all.Count(t => t.State == TaskState.Running),
                    all.Count(t => t.State == TaskState.Completed), all.Count(t => t.State.IsFinished() && t.State != TaskState.Completed),
                    following.Select(s => s.Job.JobId).ToList());
                var text = snapshot.ToString();
                if (text != last) progress?.Report(snapshot);
                last = text;
            }, cancel);
        }
        catch (OperationCanceledException)
        {
            foreach (var s in following) TryCancel(client, s.Job, "the run was interrupted");
            throw;
        }
        Harvest();
        JobsFile.Save(files.Jobs, []);

        var missing = batch.Pending.Where(c => !reported.Contains(c.Key)).ToList();
        if (missing.Count == 0)
        {
            Finish(files);
            return;
        }
        var problems = new List<Diagnostic>();
        foreach (var (result, submission) in results.Zip(following))
            foreach (var task in result.Tasks)
            {
                var lost = submission.Plan.Tasks[task.Index].Where(c => pending.ContainsKey(c.Key) && !reported.Contains(c.Key)).Select(c => c.Index).ToList();
                if (lost.Count == 0) continue;
                var what = task.State == TaskState.Completed
                    ? $"task {task.Index} ({task.SlurmId}) completed without journaling all its cases: see its log"
                    : task.Describe();
                problems.Add(new Diagnostic(new SourceLocation(task.LogPath),
                    $"{what}; {Cases(lost)} not verified{LastError(task.LogPath)}"));
            }
        problems.Add(new Diagnostic(new SourceLocation(files.VerdictPath),
            $"{batch.Total - missing.Count} of {batch.Total} cases are verified and journaled, {missing.Count} are not " +
            $"({Cases(missing.Select(c => c.Index))}): run the same command again to submit only those"));
        throw new KirchhoffHwException(problems);
    }

    private Submission Submit(SlurmClient client, SlurmRunFiles files, CaseBatch batch, List<PendingCase> cases, CancellationToken cancel)
    {
        var chunk = settings.Chunk ?? 1;
        var maxTasks = client.MaxArraySize(cancel);
        if ((cases.Count + chunk - 1) / chunk > maxTasks)
        {
            chunk = (cases.Count + maxTasks - 1) / maxTasks;
            notice?.Invoke($"{cases.Count} cases in tasks of {chunk}: the cluster runs at most {maxTasks} tasks per array (MaxArraySize)");
        }
        var tasks = cases.Chunk(chunk).Select(part => (IReadOnlyList<PlannedCase>)part.Select(c => new PlannedCase(c.Index, c.Key)).ToList()).ToList();
        var abs = source.Absolute();
        var plan = new TaskPlan
        {
            Model = abs.Model,
            Config = abs.Config,
            Tech = abs.Tech,
            Units = request.Design.Units,
            Fidelity = request.Circuit.Fidelity,
            Backend = abs.Backend,
            Options = request.Options,
            Inputs = request.Reference.Inputs,
            RunKey = batch.RunKey,
            JournalDirectory = files.JournalDirectory,
            Tasks = tasks,
        };
        var n = files.NextSubmission();
        Directory.CreateDirectory(files.Folder);
        plan.Save(files.PlanPath(n));
        var spec = new ArrayJobSpec
        {
            Name = $"kirchhoffhw_{request.Design.Name}_{request.Circuit.Built.Key}",
            Command = [.. settings.WorkerCommand, "--plan", files.PlanPath(n)],
            TaskCount = tasks.Count,
            LogDirectory = files.Logs,
            JournalDirectory = files.JournalDirectory,
            // The verdict's folder is on the shared filesystem; the submitting shell's may not exist on a compute node.
            WorkingDirectory = Path.GetDirectoryName(files.VerdictPath)!,
            Partition = settings.Partition,
            MaxParallel = settings.MaxParallel,
            Options = settings.Options,
        };
        var job = client.Submit(spec, files.ScriptPath(n), cancel);
        notice?.Invoke($"submitted job {job.JobId}: {tasks.Count} {(tasks.Count == 1 ? "task" : "tasks")} for {cases.Count} {(cases.Count == 1 ? "case" : "cases")} " +
            $"({(chunk == 1 ? "one per task" : $"up to {chunk} per task")}); script {job.ScriptPath}, logs {files.Logs}");
        return new Submission(job, plan, files.PlanPath(n));
    }

    private static List<ArrayTaskStatus> Live(SlurmClient client, SlurmArrayJob job, CancellationToken cancel) =>
        client.Query(job, cancel).Where(t => t.State is TaskState.Pending or TaskState.Running).ToList();

    /// <summary>Every verdict is in the run's own journal now (the verifier filed each one handed over), so the tasks' journals have done their work.</summary>
    private static void Finish(SlurmRunFiles files)
    {
        if (File.Exists(files.Jobs)) File.Delete(files.Jobs);
        if (Directory.Exists(files.JournalDirectory)) Directory.Delete(files.JournalDirectory, recursive: true);
    }

    private void TryCancel(SlurmClient client, SlurmArrayJob job, string why)
    {
        try
        {
            client.Cancel(job, null, CancellationToken.None);
            notice?.Invoke($"cancelled job {job.JobId}: {why}");
        }
        catch (KirchhoffHwException e)
        {
            notice?.Invoke($"could not cancel job {job.JobId} ({why}): {e.Message}");
        }
    }

    private static TaskPlan? TryLoadPlan(string path)
    {
        try
        {
            return TaskPlan.Load(path);
        }
        catch (KirchhoffHwException)
        {
            return null;
        }
    }

    private static string Cases(IEnumerable<int> indices)
    {
        var list = indices.Order().ToList();
        var text = string.Join(", ", list.Take(20).Select(i => i.ToString(CultureInfo.InvariantCulture)));
        return (list.Count == 1 ? "case " : "cases ") + text + (list.Count > 20 ? $" and {list.Count - 20} more" : "");
    }

    /// <summary>The last `error:` line of a task's log, which says why a worker gave up; empty when there is none.</summary>
    private static string LastError(string log)
    {
        try
        {
            if (!File.Exists(log)) return "";
            using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Seek(Math.Max(0, stream.Length - 8192), SeekOrigin.Begin);
            var tail = new StreamReader(stream).ReadToEnd();
            var line = tail.Split('\n').LastOrDefault(l => l.StartsWith("error: ", StringComparison.Ordinal));
            return line is null ? "" : $"; its log ends with: {Generate.Formatting.Names.CommentText(line)}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>A job submitted for an output, and the plan its tasks read.</summary>
    private sealed record JobRecord(SlurmArrayJob Job, string Plan);

    /// <summary>`jobs.json`: the jobs submitted for an output that no run has yet seen finish.</summary>
    private static class JobsFile
    {
        public static List<JobRecord> Load(string path)
        {
            if (!File.Exists(path)) return [];
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
                return doc.RootElement.GetProperty("jobs").EnumerateArray().Select(j => new JobRecord(
                    new SlurmArrayJob(j.GetProperty("job").GetString()!, j.GetProperty("script").GetString()!, j.GetProperty("logs").GetString()!,
                        j.GetProperty("indices").EnumerateArray().Select(i => i.GetInt32()).ToList(),
                        j.GetProperty("max_parallel").ValueKind == JsonValueKind.Number ? j.GetProperty("max_parallel").GetInt32() : null),
                    j.GetProperty("plan").GetString()!)).ToList();
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new KirchhoffHwException(path, $"not a record of submitted jobs ({e.Message}): delete it, or run with --fresh, after checking squeue for jobs it named");
            }
        }

        public static void Save(string path, IReadOnlyList<JobRecord> records)
        {
            if (records.Count == 0)
            {
                if (File.Exists(path)) File.Delete(path);
                return;
            }
            AtomicFile.Write(path, s =>
            {
                using var w = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = true });
                w.WriteStartObject();
                w.WriteStartArray("jobs");
                foreach (var r in records)
                {
                    w.WriteStartObject();
                    w.WriteString("job", r.Job.JobId);
                    w.WriteString("script", r.Job.ScriptPath);
                    w.WriteString("plan", r.Plan);
                    w.WriteString("logs", r.Job.LogDirectory);
                    w.WriteStartArray("indices");
                    foreach (var i in r.Job.Indices) w.WriteNumberValue(i);
                    w.WriteEndArray();
                    if (r.Job.MaxParallel is { } m) w.WriteNumber("max_parallel", m);
                    else w.WriteNull("max_parallel");
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
        }
    }
}
