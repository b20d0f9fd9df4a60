using System.CommandLine;
using System.Text.RegularExpressions;
using MovieRec.Cli;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Hybrid;
using Spectre.Console;

namespace MovieRec.Core.Tests.Cli;

/// <summary>The README's command-line section says what the CLI does.</summary>
public sealed partial class ReadmeTruthTests
{
    [Fact]
    public void Every_cli_option_is_in_the_readme_command_table()
    {
        string section = CliSection();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) });
        Command[] commands = [DataCommands.Create(console), EvaluateCommand.Create(console), TrainCommand.Create(console)];
        var missing = new List<string>();
        foreach (Command command in commands.SelectMany(c => c.Subcommands.Count > 0 ? c.Subcommands : [c]))
        {
            string prefix = command.Parents.OfType<Command>().FirstOrDefault() is { Name: "data" } ? $"movierec data {command.Name}" : $"movierec {command.Name}";
            Assert.Contains($"`{prefix}", section, StringComparison.Ordinal);
            missing.AddRange(command.Options.Where(o => o.Name.StartsWith("--", StringComparison.Ordinal) && o.Name is not "--help")
                .Where(o => !section.Contains(o.Name, StringComparison.Ordinal)).Select(o => $"{prefix} {o.Name}"));
        }

        Assert.Empty(missing);
    }

    [Fact]
    public void The_hybrid_bases_agree_in_the_code_movierec_models_and_the_readme()
    {
        IReadOnlyList<string> bases = new HybridOptions().BaseModels;
        string listed = string.Join(", ", bases.Take(bases.Count - 1)) + " and " + bases[^1];

        Assert.Contains(listed, ModelRegistry.All.Single(m => m.Name == HybridTrainer.ModelName).Description, StringComparison.Ordinal);
        Match row = HybridRow().Match(File.ReadAllText(Readme()));
        Assert.True(row.Success);
        Assert.Equal(bases, BacktickedName().Matches(row.Groups[1].Value).Select(m => m.Groups[1].Value));
    }

    [GeneratedRegex(@"^\| `hybrid` \| stacked blend of (.*?) with ", RegexOptions.Multiline)]
    private static partial Regex HybridRow();

    [GeneratedRegex("`([a-z-]+)`")]
    private static partial Regex BacktickedName();

    private static string CliSection()
    {
        string text = File.ReadAllText(Readme());
        int start = text.IndexOf("## The `movierec` command line", StringComparison.Ordinal);
        Assert.True(start >= 0);
        int end = text.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        return text[start..(end < 0 ? text.Length : end)];
    }

    private static string Readme()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "MovieRec.sln")))
            {
                return Path.Combine(dir, "README.md");
            }
        }

        throw new FileNotFoundException("README.md beside MovieRec.sln");
    }
}
