using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using MovieRec.Api.Hosting;
using MovieRec.Core.Data;
using MovieRec.Core.Training;

namespace MovieRec.Api.Tests;

/// <summary>
/// The service over a bundle this factory trains on the synthetic fixture (baseline, popular, svd, implicit-als),
/// with reload enabled by <see cref="AdminKey"/>. One factory per test class (an xunit class fixture).
/// </summary>
public sealed class MovieRecApiFactory : WebApplicationFactory<Program>
{
    public const string AdminKey = "test-admin-key";
    public const string Models = "baseline,popular,svd,implicit-als";

    private readonly TempFolder _folder = new();

    public MovieRecApiFactory()
    {
        DataPath = Fixtures.WriteCsvDataset(_folder, Fixtures.SyntheticRatings());
        ModelsPath = Path.Combine(_folder.Path, "models");
        Publish();
    }

    public string DataPath { get; }

    public string ModelsPath { get; }

    /// <summary>Trains the fixture models small and fast, and publishes them as the current bundle; returns its id.</summary>
    public string Publish()
    {
        MovieLensDataset dataset = MovieLensLoader.Load(DataPath);
        string folder = BundleTrainer.Train(dataset, new BundleTrainingOptions { Models = BundleTrainer.ParseModels(Models), Output = ModelsPath, Keep = 5 });
        return Path.GetFileName(folder);
    }

    /// <summary>Waits until the host serves a bundle (the bootstrapper loads it in the background).</summary>
    public Task<ServedBundle> WaitUntilReadyAsync() => Readiness.WaitUntilServingAsync(Services.GetRequiredService<ModelHost>());

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("MovieRec:ModelsPath", ModelsPath);
        builder.UseSetting("MovieRec:DataPath", DataPath);
        builder.UseSetting("MovieRec:AdminApiKey", AdminKey);
        builder.UseSetting("MovieRec:AllowDownload", "false");
        builder.UseSetting("MovieRec:MaxRequestBodyBytes", "4096");
        builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
        // Tests run beside other busy tests: a retrain at idle priority would wait for a free core (see RetrainTests for the command lines).
        builder.UseSetting("MovieRec:Retrain:Priority", "normal");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _folder.Dispose();
        }
    }
}
