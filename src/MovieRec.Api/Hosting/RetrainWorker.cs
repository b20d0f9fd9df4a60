using System.Diagnostics;
using System.Text.Json;
using MovieRec.Core.Data;
using MovieRec.Core.Feedback;
using MovieRec.Core.Models;
using MovieRec.Core.Training;

namespace MovieRec.Api.Hosting;

/// <summary>
/// A retrain in a child process (<c>MovieRec:Retrain:Isolation</c> = <c>process</c>, the default): the service starts
/// itself again as <c>MovieRec.Api --retrain-worker request.json</c> under the idle scheduling policy and nice 19
/// (<c>MovieRec:Retrain:Priority</c>), and the child loads the
/// dataset, applies the live ratings the parent wrote beside the request, trains with the same Core trainer as
/// <c>movierec train --feedback</c> and publishes the bundle. The service's heap never holds the training's arrays,
/// so its garbage collections (which stop every request thread) are not triggered, and run, by a low-priority training
/// thread, and the operating system gives the whole training process, every thread of it, only what requests leave.
/// </summary>
public static class RetrainWorker
{
    /// <summary>The first command-line argument that makes the service's entry point run a retrain instead.</summary>
    public const string Argument = "--retrain-worker";

    private const string PublishedPrefix = "published\t";

    /// <summary>What the child trains: the data folder, the models, where to publish, and the live ratings file.</summary>
    public sealed record Request(string Data, IReadOnlyList<string> Models, string Output, string Provider, string LiveRatings, int Threads);

    /// <summary>The child's side: trains the request and prints progress lines, then <c>published\t&lt;folder&gt;</c>; exit code 1 and the reason on stderr when it fails.</summary>
    public static int Run(string requestFile)
    {
        try
        {
            Request request = JsonSerializer.Deserialize<Request>(File.ReadAllText(requestFile))
                ?? throw new InvalidDataException($"{requestFile}: empty retrain request.");
            string published = Train(request, null, Console.Out.WriteLine, CancellationToken.None);
            Console.Out.WriteLine(PublishedPrefix + published);
            return 0;
        }
#pragma warning disable CA1031 // The parent reports any failure as the retrain's error; the child only says why.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Console.Error.WriteLine($"{e.GetType().Name}: {e.Message}");
            return 1;
        }
    }

    /// <summary>
    /// The retrain itself, in the child or on the service's training thread: the dataset with the live changes applied,
    /// trained with the same Core trainer as <c>movierec train --feedback</c>; returns the published bundle folder. Null
    /// <paramref name="live"/>: read the request's live ratings file (the child), after the dataset.
    /// </summary>
    public static string Train(Request request, IReadOnlyList<LiveRating>? live, Action<string> log, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(request);
        MovieLensDataset dataset = MovieLensLoader.Load(request.Data);
        (MovieLensDataset withLive, FeedbackWatermarkManifest watermark) =
            FeedbackTraining.WithLiveRatings(dataset, live ?? ReadLiveRatings(request.LiveRatings), request.Provider);
        return BundleTrainer.Train(withLive, new BundleTrainingOptions
        {
            Models = request.Models,
            Output = request.Output,
            Log = log,
            Training = new TrainingOptions { Threads = request.Threads, CancellationToken = cancel },
            Feedback = watermark,
        });
    }

    /// <summary>
    /// The parent's side: writes the request and the live ratings to a temporary folder, runs the child at
    /// the lowest priority, passes its progress lines to <paramref name="log"/> and returns the published folder. A
    /// failed child throws with the child's reason; cancelling kills the child.
    /// </summary>
    public static async Task<string> TrainAsync(Request request, IReadOnlyList<LiveRating> live, RetrainPriority priority, Action<string> log,
        CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(log);
        string workFolder = Directory.CreateTempSubdirectory("movierec-retrain-").FullName;
        string requestFile = Path.Combine(workFolder, "retrain-request.json");
        string liveFile = Path.Combine(workFolder, "retrain-live.bin");
        try
        {
            WriteLiveRatings(liveFile, live);
            await File.WriteAllTextAsync(requestFile, JsonSerializer.Serialize(request with { LiveRatings = liveFile }), cancel).ConfigureAwait(false);
            using Process child = Process.Start(StartInfo(requestFile, priority))
                ?? throw new InvalidOperationException("The retrain worker process did not start.");
            string? published = null;
            var errors = new System.Text.StringBuilder();
            child.OutputDataReceived += (_, e) =>
            {
                if (e.Data is not { } line)
                {
                    return;
                }

                if (line.StartsWith(PublishedPrefix, StringComparison.Ordinal))
                {
                    published = line[PublishedPrefix.Length..];
                }
                else
                {
                    log(line);
                }
            };
            child.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { Length: > 0 } line)
                {
                    lock (errors)
                    {
                        errors.AppendLine(line);
                    }
                }
            };
            child.BeginOutputReadLine();
            child.BeginErrorReadLine();
            try
            {
                await child.WaitForExitAsync(cancel).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                child.Kill(entireProcessTree: true);
                throw;
            }

            child.WaitForExit(); // the redirected streams are drained only after this overload returns
            if (child.ExitCode != 0 || published is null)
            {
                string reason;
                lock (errors)
                {
                    reason = errors.ToString().Trim();
                }

                throw new RetrainWorkerException(reason.Length > 0 ? reason : $"The retrain worker exited with code {child.ExitCode} without publishing a bundle.");
            }

            return published;
        }
        finally
        {
            Directory.Delete(workFolder, recursive: true);
        }
    }

    /// <summary>
    /// This program again, with the worker argument, under <c>chrt --idle 0 nice -n 19</c> (priority idle, the default),
    /// <c>nice -n 19</c> (low) or neither (normal), where those programs exist: <c>dotnet MovieRec.Api.dll</c>
    /// when the service runs through the dotnet host (or a test host), else the service's own executable.
    /// </summary>
    internal static ProcessStartInfo StartInfo(string requestFile, RetrainPriority priority)
    {
        string assembly = typeof(RetrainWorker).Assembly.Location;
        string process = Environment.ProcessPath ?? "dotnet";
        List<string> command = Path.GetFileNameWithoutExtension(process) == Path.GetFileNameWithoutExtension(assembly)
            ? [process]
            : [Path.GetFileNameWithoutExtension(process) == "dotnet" ? process : "dotnet", assembly];
        command.AddRange([Argument, requestFile]);
        const string nice = "/usr/bin/nice", chrt = "/usr/bin/chrt";
        if (priority != RetrainPriority.Normal && File.Exists(nice))
        {
            command.InsertRange(0, [nice, "-n", "19"]);
        }

        if (priority == RetrainPriority.Idle && File.Exists(chrt))
        {
            // SCHED_IDLE: the training runs only on a core that nothing else wants (nice 19 still takes a share).
            command.InsertRange(0, [chrt, "--idle", "0"]);
        }

        var start = new ProcessStartInfo(command[0], command.Skip(1))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        return start;
    }

    /// <summary>Live ratings as fixed-size records (user, movie, rating or NaN for a deletion, timestamp, sequence).</summary>
    public static void WriteLiveRatings(string path, IReadOnlyList<LiveRating> live)
    {
        ArgumentNullException.ThrowIfNull(live);
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(live.Count);
        foreach (LiveRating r in live)
        {
            writer.Write(r.UserId);
            writer.Write(r.MovieId);
            writer.Write(r.Rating ?? float.NaN);
            writer.Write(r.Timestamp);
            writer.Write(r.Sequence);
        }
    }

    /// <summary>What <see cref="WriteLiveRatings"/> wrote.</summary>
    public static IReadOnlyList<LiveRating> ReadLiveRatings(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        int count = reader.ReadInt32();
        var live = new LiveRating[count];
        for (int i = 0; i < count; i++)
        {
            int user = reader.ReadInt32(), movie = reader.ReadInt32();
            float rating = reader.ReadSingle();
            live[i] = new LiveRating(user, movie, float.IsNaN(rating) ? null : rating, reader.ReadInt64(), reader.ReadInt64());
        }

        return live;
    }
}

/// <summary>A retrain worker process that failed: the message is the child's own reason (its exception type and message).</summary>
public sealed class RetrainWorkerException(string message) : Exception(message);
