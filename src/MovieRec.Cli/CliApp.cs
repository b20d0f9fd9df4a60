using System.CommandLine;
using MovieRec.Core.Data;
using Spectre.Console;

namespace MovieRec.Cli;

/// <summary>The <c>movierec</c> command tree. Commands are thin: they parse, call Core, and print.</summary>
internal static class CliApp
{
    public const string DefaultDataFolder = "data/ml-latest-small";

    public static int Run(string[] args, IAnsiConsole console)
    {
        var root = new RootCommand("MovieRec: movie recommendations from MovieLens ratings.")
        {
            DataCommands.Create(console),
            EvaluateCommand.Create(console),
            TrainCommand.Create(console),
            AbTestCommand.Create(console),
            ExperimentCommands.Create(console),
            SparkCommands.Import(console),
            BenchCommands.Create(console),
            ModelOptionsCli.ModelsCommand(console),
            ReportCommand.Create(console),
            TuneCommand.Create(console),
        };
        foreach (Command command in PeopleCommands.Create(console, () => !Console.IsInputRedirected))
        {
            root.Add(command);
        }

        return root.Parse(args).Invoke();
    }

    /// <summary>The folder argument, else MOVIEREC_DATA, else data/ml-latest-small.</summary>
    public static string ResolveFolder(string? folder) => ResolveFolder(folder, Environment.GetEnvironmentVariable);

    /// <summary>As <see cref="ResolveFolder(string?)"/>, reading the environment through <paramref name="environment"/>.</summary>
    public static string ResolveFolder(string? folder, Func<string, string?> environment) =>
        !string.IsNullOrWhiteSpace(folder) ? folder
        : environment(MovieLensLoader.DataEnvironmentVariable) is { Length: > 0 } env ? env
        : DefaultDataFolder;

    public static Argument<string?> FolderArgument() => new("folder")
    {
        Description = $"MovieLens dataset folder (default: ${MovieLensLoader.DataEnvironmentVariable}, else {DefaultDataFolder})",
        Arity = ArgumentArity.ZeroOrOne,
    };

    /// <summary>Runs a command body, turning the errors a user can cause into one clear line and exit code 1.</summary>
    public static int Guard(IAnsiConsole console, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is MovieLensDataException or ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
    }
}
