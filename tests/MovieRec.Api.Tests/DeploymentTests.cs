namespace MovieRec.Api.Tests;

/// <summary>The Dockerfile builds what CI builds, and the compose file wires the API to the trainer's bundle.</summary>
public sealed class DeploymentTests
{
    private static readonly string Root = FindRoot();

    [Fact]
    public void The_Dockerfile_runs_the_same_restore_and_build_as_CI()
    {
        string[] ci = BuildSteps(File.ReadAllLines(Path.Combine(Root, ".ci", "run")));
        string[] docker = BuildSteps([.. File.ReadAllLines(Path.Combine(Root, "Dockerfile"))
            .Where(l => l.StartsWith("RUN ", StringComparison.Ordinal)).Select(l => l[4..])]);

        Assert.Equal(["dotnet restore MovieRec.sln", "dotnet build MovieRec.sln -c Release --no-restore -warnaserror"], ci);
        Assert.Equal(ci, docker);
    }

    [Fact]
    public void The_image_runs_as_a_non_root_user_with_a_readiness_health_check()
    {
        string dockerfile = File.ReadAllText(Path.Combine(Root, "Dockerfile"));
        string compose = File.ReadAllText(Path.Combine(Root, "docker-compose.yml"));

        Assert.Contains("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", dockerfile, StringComparison.Ordinal);
        Assert.Contains("FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime", dockerfile, StringComparison.Ordinal);
        Assert.Contains("USER app", dockerfile, StringComparison.Ordinal);
        Assert.Contains("HEALTHCHECK", dockerfile, StringComparison.Ordinal);
        Assert.Contains("/health/ready", dockerfile, StringComparison.Ordinal);
        Assert.Contains("service_completed_successfully", compose, StringComparison.Ordinal);
        Assert.Contains("models:/models", compose, StringComparison.Ordinal);
    }

    private static string[] BuildSteps(IEnumerable<string> lines) =>
        [.. lines.Select(l => l.Trim()).Where(l => l.StartsWith("dotnet restore ", StringComparison.Ordinal) || l.StartsWith("dotnet build ", StringComparison.Ordinal))];

    private static string FindRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "MovieRec.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new DirectoryNotFoundException("MovieRec.sln is not above the test assembly.");
    }
}
