using System.ComponentModel;
using MovieRec.Core.Experiments;

namespace MovieRec.Api.Contracts;

[Description("The experiments, configured and stored.")]
public sealed record ExperimentList(IReadOnlyList<ExperimentSummary> Experiments);

[Description("One experiment's definition in brief: source is configuration (appsettings) or store (/admin/experiments).")]
public sealed record ExperimentSummary(string Name, string Type, string Allocation, bool Active, string Source, IReadOnlyList<VariantDefinition> Variants)
{
    [Description("First moment the experiment enrols users (null: always).")]
    public DateTimeOffset? Start { get; init; }

    [Description("The moment it stops enrolling (null: never); after it the experiment is finished.")]
    public DateTimeOffset? End { get; init; }
}
