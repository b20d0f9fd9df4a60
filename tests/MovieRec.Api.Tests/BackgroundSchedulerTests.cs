using System.Collections.Concurrent;
using MovieRec.Api.Hosting;

namespace MovieRec.Api.Tests;

/// <summary>The training thread: one thread, behind request threads (nice 19 on Linux), Parallel loops kept on it.</summary>
public sealed class BackgroundSchedulerTests
{
    [Fact]
    public async Task Training_runs_on_one_thread_and_its_parallel_loops_stay_on_it()
    {
        var threads = new ConcurrentBag<int>();
        int outer = await Task.Factory.StartNew(() =>
        {
            Parallel.For(0, 200, _ => threads.Add(Environment.CurrentManagedThreadId));
            return Environment.CurrentManagedThreadId;
        }, CancellationToken.None, TaskCreationOptions.DenyChildAttach, BackgroundScheduler.Training);

        Assert.Equal(200, threads.Count);
        Assert.Equal([outer], threads.Distinct());
    }

    [SkippableFact]
    public async Task On_linux_the_training_thread_runs_at_nice_19()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "thread nice values are a Linux feature");
        int nice = await Task.Factory.StartNew(() =>
        {
            // /proc/thread-self/stat: the fields after the command name's ')' start at field 3; nice is field 19.
            string stat = File.ReadAllText("/proc/thread-self/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16], System.Globalization.CultureInfo.InvariantCulture);
        }, CancellationToken.None, TaskCreationOptions.DenyChildAttach, BackgroundScheduler.Training);

        Assert.Equal(19, nice);
        Assert.Equal(19, BackgroundScheduler.Training.Nice);
    }
}
