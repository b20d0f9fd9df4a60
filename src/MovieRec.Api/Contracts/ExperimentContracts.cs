using System.ComponentModel;
using MovieRec.Core.Experiments;

namespace MovieRec.Api.Contracts;

[Description("The experiments, configured and stored.")]
public sealed record ExperimentList(IReadOnlyList<ExperimentSummary> Experiments);

[Description("One experiment's definition in brief: source is configuration (appsettings) or store (/admin/experiments).")]
public sealed record ExperimentSummary(string Name, string Type, string Allocation, bool Active, string Source, IReadOnlyList<VariantDefinition> Variants);
