using Spectre.Console;

namespace MovieRec.Core.Tests.Cli;

/// <summary>What a CLI test needs: a temp folder and a plain, non-interactive 200-column console whose output it reads.</summary>
public abstract class CliConsoleTests : IDisposable
{
    protected CliConsoleTests()
    {
        Terminal = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Output),
            Ansi = AnsiSupport.No,
            Interactive = InteractionSupport.No,
        });
        Terminal.Profile.Width = 200;
    }

    protected TempFolder Dir { get; } = new();

    protected StringWriter Output { get; } = new();

    protected IAnsiConsole Terminal { get; }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Dir.Dispose();
            Output.Dispose();
        }
    }
}
