using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace MovieRec.Api.Hosting;

/// <summary>
/// Runs background training (the retrainer, experiment variants) on one dedicated thread that the operating system
/// schedules behind request threads: on Linux the thread's nice value is raised to 19, which any process may do to its
/// own threads. Requests get the cores first, and training uses what they leave. A trainer's Parallel loop that does not
/// honour <c>TrainingOptions.Threads</c> (1 here) may still borrow thread-pool threads at normal priority: .NET's Parallel
/// does not confine itself to the current scheduler. Elsewhere the thread gets <see cref="ThreadPriority.Lowest"/>.
/// </summary>
internal sealed partial class BackgroundScheduler : TaskScheduler
{
    private const int Lowest = 19; // nice
    private readonly BlockingCollection<Task> _queue = [];
    private readonly Thread _thread;

    private BackgroundScheduler(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name, Priority = ThreadPriority.Lowest };
        _thread.Start();
    }

    /// <summary>The one training thread of the process.</summary>
    public static BackgroundScheduler Training { get; } = new("movierec-training");

    /// <summary>The nice value the thread got (19), or null where it could not be set (not Linux, or the call failed).</summary>
    public int? Nice { get; private set; }

    public override int MaximumConcurrencyLevel => 1;

    protected override void QueueTask(Task task) => _queue.Add(task);

    // A task waited on from this thread (a Parallel loop's replica) runs inline rather than waiting for the thread.
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => Thread.CurrentThread == _thread && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray();

    private void Run()
    {
        Nice = LowerPriority();
        foreach (Task task in _queue.GetConsumingEnumerable())
        {
            TryExecuteTask(task);
        }
    }

    private static int? LowerPriority()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            // PRIO_PROCESS with a thread id sets that thread's nice value only.
            return SetPriority(0, GetThreadId(), Lowest) == 0 ? Lowest : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    [LibraryImport("libc", EntryPoint = "setpriority")]
    private static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();
}
