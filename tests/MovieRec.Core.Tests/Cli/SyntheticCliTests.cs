using MovieRec.Cli;
using MovieRec.Core.Data;
using Spectre.Console;

namespace MovieRec.Core.Tests.Cli;

public sealed class SyntheticCliTests : IDisposable
{
    private readonly TempFolder _dir = new();
    private readonly StringWriter _out = new();
    private readonly IAnsiConsole _console;

    public SyntheticCliTests()
    {
        _console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(_out),
            Ansi = AnsiSupport.No,
            Interactive = InteractionSupport.No,
        });
        _console.Profile.Width = 200;
    }

    public void Dispose()
    {
        _dir.Dispose();
        _out.Dispose();
    }

    [Fact]
    public void Data_synth_writes_a_folder_every_command_reads_and_refuses_to_overwrite_it()
    {
        string source = Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings(30, 40));
        string output = Path.Combine(_dir.Path, "synthetic");

        int code = CliApp.Run(["data", "synth", source, "--out", output, "--ratings", "900", "--users", "50", "--seed", "7"], _console);

        Assert.Equal(0, code);
        Assert.Equal(900, MovieLensLoader.Load(output).Ratings.Length);
        Assert.Equal(0, CliApp.Run(["data", "info", output, "--json"], _console));
        Assert.Equal(0, CliApp.Run(["evaluate", output, "--model", "baseline", "--folds", "2", "--no-ranking"], _console));

        _out.GetStringBuilder().Clear();
        Assert.Equal(1, CliApp.Run(["data", "synth", source, "--out", output], _console));
        Assert.Contains("already holds a dataset", _out.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, CliApp.Run(["data", "synth", source, "--out", output, "--force", "--ratings", "100", "--users", "20"], _console));
        Assert.Equal(100, MovieLensLoader.Load(output).Ratings.Length);
    }

    [Fact]
    public void Data_synth_names_an_impossible_size()
    {
        string source = Fixtures.WriteCsvDataset(_dir, Fixtures.SyntheticRatings(30, 40));

        int code = CliApp.Run(["data", "synth", source, "--out", Path.Combine(_dir.Path, "o"), "--ratings", "100000", "--users", "10", "--movies", "40"], _console);

        Assert.Equal(1, code);
        Assert.Contains("do not fit", _out.ToString(), StringComparison.Ordinal);
    }
}
