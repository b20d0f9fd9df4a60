using MovieRec.Cli;
using Spectre.Console;

IAnsiConsole console = AnsiConsole.Console;
if (Console.IsOutputRedirected)
{
    // Spectre assumes 80 columns when output goes to a file or pipe; result tables need more.
    console.Profile.Width = 200;
    console.Profile.Capabilities.Ansi = false;
}

return CliApp.Run(args, console);
