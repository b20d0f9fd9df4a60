using MovieRec.Api.Hosting;

namespace MovieRec.Api.Tests;

/// <summary>The training thread: one thread, behind request threads (nice 19 on Linux).</summary>
public sealed class BackgroundSchedulerTests
{
    [Fact]
    public async Task Training_tasks_run_one_at_a_time_on_one_dedicated_thread()
    {
        Task<int>[] tasks = [.. Enumerable.Range(0, 8).Select(_ => Task.Factory.StartNew(() => Environment.CurrentManagedThreadId, CancellationToken.None,
            TaskCreationOptions.DenyChildAttach, BackgroundScheduler.Training))];
        int[] threads = await Task.WhenAll(tasks);

        Assert.Single(threads.Distinct());
        Assert.NotEqual(Environment.CurrentManagedThreadId, threads[0]);
        Assert.Equal(1, BackgroundScheduler.Training.MaximumConcurrencyLevel);
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
