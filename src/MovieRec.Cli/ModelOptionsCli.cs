using System.CommandLine;
using System.Globalization;
using MovieRec.Core.Models;
using Spectre.Console;

namespace MovieRec.Cli;

/// <summary>The <c>--set</c> and <c>--options</c> options shared by evaluate, train and tune, and <c>movierec models [name]</c>.</summary>
internal static class ModelOptionsCli
{
    public static (Option<string[]> Set, Option<string?> File) Options() =>
    (
        new Option<string[]>("--set")
        {
            Description = "A model option, <model>.<option>=<value> (e.g. svd.factors=50); repeatable. 'movierec models <name>' lists a model's options",
            AllowMultipleArgumentsPerToken = false,
        },
        new Option<string?>("--options") { Description = "A JSON file of options by model, e.g. {\"svd\": {\"factors\": 50}} (what 'movierec tune --out-options' writes); --set values win" }
    );

    public static ModelOverrides Parse(ParseResult parse, Option<string[]> set, Option<string?> file) =>
        ModelOverrides.Parse(parse.GetValue(set) ?? [], parse.GetValue(file));

    /// <summary><c>movierec models</c>: every model; <c>movierec models &lt;name&gt;</c>: one model's options.</summary>
    public static Command ModelsCommand(IAnsiConsole console)
    {
        var name = new Argument<string?>("name") { Description = "A model whose options to list", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("models", "List the models, or one model's options with default, range and description.") { name };
        command.SetAction(parse => CliApp.Guard(console, () =>
        {
            if (parse.GetValue(name) is not string model)
            {
                var table = new Table().AddColumns("Name", "Algorithm", "Description");
                foreach (ModelInfo info in ModelRegistry.All)
                {
                    table.AddRow(Markup.Escape(info.Name), Markup.Escape(info.Algorithm.Id), Markup.Escape(info.Description));
                }

                console.Write(table);
                return 0;
            }

            PrintOptions(console, ModelRegistry.Info(model));
            return 0;
        }));
        return command;
    }

    private static void PrintOptions(IAnsiConsole console, ModelInfo info)
    {
        console.MarkupLineInterpolated($"[bold]{info.Name}[/]: {info.Description} (algorithm {info.Algorithm.Id})");
        if (info.Algorithm.Options.Count == 0)
        {
            console.WriteLine("This model has no options.");
            return;
        }

        IReadOnlyDictionary<string, object?> preset = OptionSchema.Values(info.Algorithm.Options, info.Options);
        var table = new Table().AddColumns("Option", "Default", "Range", "Tuned over", "Description");
        foreach (OptionSpec spec in info.Algorithm.Options)
        {
            string tuned = spec.Tune is { } t
                ? string.Create(CultureInfo.InvariantCulture, $"{t.Min:G}..{t.Max:G}{(t.Log ? " (log)" : "")}{(spec.Budget ? " (budget)" : "")}")
                : "";
            table.AddRow(Markup.Escape(spec.Name), Markup.Escape(OptionSpec.FormatValue(preset[spec.Name])), Markup.Escape(spec.RangeText),
                Markup.Escape(tuned), Markup.Escape(spec.Description));
        }

        console.Write(table);
        console.MarkupLineInterpolated($"Set one with --set {info.Name}.<option>=<value>, or in a file given to --options: {{\"{info.Name}\": {{\"<option>\": <value>}}}}.");
    }
}
