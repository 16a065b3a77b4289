using KirchhoffHw.Model;
using KirchhoffHw.Slurm.Journal;

namespace KirchhoffHw.Slurm.Tests;

public sealed class JournalTests
{
    private static bool ParseCase(string line, out int value)
    {
        value = 0;
        return line.StartsWith("case ", StringComparison.Ordinal) && int.TryParse(line.AsSpan(5), out value);
    }

    [Test]
    public void When_TasksWriteTheirOwnFiles_Expect_MergeOrderedByTaskThenLine()
    {
        using var tmp = new TempFolder();
        var dir = TaskJournal.DirectoryFor(tmp.File("verdict.json"));
        Assert.That(dir, Is.EqualTo(tmp.File("verdict.json") + ".journal.d"));
        foreach (var task in new[] { 10, 2, 0 })
        {
            using var w = TaskJournalWriter.Open(TaskJournal.FileFor(dir, task));
            w.Append($"case {task * 100}");
            w.Append($"case {task * 100 + 1}");
        }
        var read = TaskJournal.Read<int>(dir, ParseCase);
        Assert.That(read.Entries.Select(e => (e.Task, e.Line, e.Value)), Is.EqualTo(new[]
            { (0, 1, 0), (0, 2, 1), (2, 1, 200), (2, 2, 201), (10, 1, 1000), (10, 2, 1001) }));
        Assert.That(read.Skipped, Is.Empty);
    }

    [Test]
    public void When_LastLineIsTorn_Expect_ItIsSkippedAndTheRestRead()
    {
        using var tmp = new TempFolder();
        var file = TaskJournal.FileFor(tmp.Path, 3);
        File.WriteAllText(file, "case 1\ncase 2\ncase 3 and a wri");
        var read = TaskJournal.Read<int>(tmp.Path, ParseCase);
        Assert.That(read.Entries.Select(e => e.Value), Is.EqualTo(new[] { 1, 2 }));
        Assert.That(read.Skipped.Single().ToString(), Is.EqualTo($"{file}:3: torn last line (its task was stopped while writing it)"));
    }

    [Test]
    public void When_WriterReopensATornFile_Expect_NewEntriesStartOnTheirOwnLine()
    {
        using var tmp = new TempFolder();
        var file = TaskJournal.FileFor(tmp.Path, 0);
        File.WriteAllText(file, "case 1\ncase 2 cut sh");
        using (var w = TaskJournalWriter.Open(file)) w.Append("case 3");
        using (var w = TaskJournalWriter.Open(file)) w.Append("case 4");
        Assert.That(File.ReadAllText(file), Is.EqualTo("case 1\ncase 2 cut sh\ncase 3\ncase 4\n"));
        var read = TaskJournal.Read<int>(tmp.Path, ParseCase);
        Assert.That(read.Entries.Select(e => e.Value), Is.EqualTo(new[] { 1, 3, 4 }));
        Assert.That(read.Skipped.Single().Line, Is.EqualTo(2));
    }

    [Test]
    public void When_JournalIsASymbolicLink_Expect_WriterRefusesAndReaderIgnoresIt()
    {
        using var tmp = new TempFolder();
        var target = tmp.File("elsewhere.txt");
        File.WriteAllText(target, "precious\n");
        var link = TaskJournal.FileFor(tmp.Path, 1);
        File.CreateSymbolicLink(link, target);
        var e = Assert.Throws<KirchhoffHwException>(() => TaskJournalWriter.Open(link))!;
        Assert.That(e.Message, Is.EqualTo($"{link}: task journal is a symbolic link: refusing to write through it"));
        Assert.That(File.ReadAllText(target), Is.EqualTo("precious\n"));
        var read = TaskJournal.Read<int>(tmp.Path, ParseCase);
        Assert.That(read.Entries, Is.Empty);
        Assert.That(read.Skipped.Single().Reason, Does.Contain("symbolic link ignored"));
    }

    [Test]
    public void When_TheJournalFolderIsASymbolicLink_Expect_WriterAndReaderRefuseIt()
    {
        using var tmp = new TempFolder();
        var elsewhere = Directory.CreateDirectory(tmp.File("elsewhere")).FullName;
        var dir = TaskJournal.DirectoryFor(tmp.File("verdict.json"));
        Directory.CreateSymbolicLink(dir, elsewhere);
        var write = Assert.Throws<KirchhoffHwException>(() => TaskJournalWriter.Open(TaskJournal.FileFor(dir, 0)))!;
        Assert.That(write.Message, Does.StartWith(dir + ": is a symbolic link"));
        Assert.That(Directory.EnumerateFileSystemEntries(elsewhere), Is.Empty, "nothing written through the link");
        File.WriteAllText(Path.Combine(elsewhere, "task-0.jsonl"), "case 1\n");
        var read = Assert.Throws<KirchhoffHwException>(() => TaskJournal.Read<int>(dir, ParseCase))!;
        Assert.That(read.Message, Does.Contain("the journal folder is a symbolic link"));
    }

    [Test]
    public void When_SecondWriterOpensATaskJournal_Expect_ClearErrorAndFirstWriterUnharmed()
    {
        using var tmp = new TempFolder();
        var file = TaskJournal.FileFor(tmp.Path, 5);
        using (var first = TaskJournalWriter.Open(file))
        {
            first.Append("case 1");
            var e = Assert.Throws<KirchhoffHwException>(() => TaskJournalWriter.Open(file))!;
            Assert.That(e.Message, Does.StartWith(file + ": task journal is being written by another process"));
            first.Append("case 2");
            // The merge reads while tasks write: it takes no lock.
            Assert.That(TaskJournal.Read<int>(tmp.Path, ParseCase).Entries.Select(x => x.Value), Is.EqualTo(new[] { 1, 2 }));
        }
        Assert.That(File.ReadAllText(file), Is.EqualTo("case 1\ncase 2\n"));
    }

    [Test]
    public void When_AnotherProcessHoldsTheJournal_Expect_TheLockSeenAcrossProcesses()
    {
        using var tmp = new TempFolder();
        var file = TaskJournal.FileFor(tmp.Path, 6);
        File.WriteAllText(file, "");
        // flock(1) takes the same lock from another process, as a second run of the task would.
        var start = new System.Diagnostics.ProcessStartInfo("flock")
            { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        // It holds the lock until its standard input closes.
        foreach (var a in new[] { "-x", file, "-c", "echo locked; exec cat >/dev/null" }) start.ArgumentList.Add(a);
        using var holder = System.Diagnostics.Process.Start(start)!;
        try
        {
            Assert.That(holder.StandardOutput.ReadLine(), Is.EqualTo("locked"));
            var e = Assert.Throws<KirchhoffHwException>(() => TaskJournalWriter.Open(file))!;
            Assert.That(e.Message, Does.Contain("two runs of one array task at once"));
        }
        finally
        {
            holder.StandardInput.Close();
            holder.WaitForExit();
        }
        using var after = TaskJournalWriter.Open(file);
        after.Append("case 1");
    }

    [Test]
    public void When_LineHoldsALineBreak_Expect_Refused()
    {
        using var tmp = new TempFolder();
        using var w = TaskJournalWriter.Open(TaskJournal.FileFor(tmp.Path, 0));
        Assert.Throws<ArgumentException>(() => w.Append("a\nb"));
    }

    [Test]
    public void When_FolderMissingOrHoldsOtherFiles_Expect_OnlyTaskFilesRead()
    {
        using var tmp = new TempFolder();
        Assert.That(TaskJournal.Read<int>(tmp.File("none"), ParseCase).Entries, Is.Empty);
        File.WriteAllText(tmp.File("task-x.jsonl"), "case 9\n");
        File.WriteAllText(tmp.File("task-+1.jsonl"), "case 9\n");
        File.WriteAllText(tmp.File("notes.txt"), "case 9\n");
        File.WriteAllText(TaskJournal.FileFor(tmp.Path, 7), "case 7\n\nnot a case\n");
        var read = TaskJournal.Read<int>(tmp.Path, ParseCase);
        Assert.That(read.Entries.Select(e => (e.Task, e.Value)), Is.EqualTo(new[] { (7, 7) }));
        Assert.That(read.Skipped.Select(s => (s.Line, s.Reason)), Is.EqualTo(new[] { (3, "unreadable line skipped") }));
    }
}
