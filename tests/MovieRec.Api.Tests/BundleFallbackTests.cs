using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MovieRec.Api.Hosting;
using MovieRec.Core.Artifacts;
using MovieRec.Core.Data;
using MovieRec.Core.Training;

namespace MovieRec.Api.Tests;

/// <summary>The service's loader uses the store's start-up fallback; a reload while serving stays strict.</summary>
public sealed class BundleFallbackTests(MovieRecApiFactory factory) : IClassFixture<MovieRecApiFactory>
{
    [Fact]
    public async Task At_start_up_a_broken_current_bundle_falls_back_to_the_newest_intact_one()
    {
        using var folder = new TempFolder();
        string models = Path.Combine(folder.Path, "models");
        MovieLensDataset data = MovieLensLoader.Load(factory.DataPath);
        string older = BundleTrainer.Train(data, new BundleTrainingOptions { Models = ["baseline"], Output = models });
        string newer = BundleTrainer.Train(data, new BundleTrainingOptions { Models = ["baseline"], Output = models });
        string model = Path.Combine(newer, "baseline.model");
        byte[] bytes = await File.ReadAllBytesAsync(model);
        bytes[^3] ^= 0xFF;
        await File.WriteAllBytesAsync(model, bytes);
        using var host = new ModelHost(Options.Create(new MovieRecOptions { ModelsPath = models }), NullLogger<ModelHost>.Instance);

        Assert.True(host.HasPublishedBundle());
        await host.LoadAtStartAsync();
        Assert.Equal(Path.GetFileName(older), host.Current?.Id);

        // Once a bundle serves, a reload of the broken current is refused and the served bundle stays.
        await Assert.ThrowsAsync<InvalidDataException>(() => host.ReloadAsync());
        Assert.Equal(Path.GetFileName(older), host.Current?.Id);
    }

    [Fact]
    public async Task At_start_up_a_missing_current_pointer_serves_the_newest_bundle_instead_of_training()
    {
        using var folder = new TempFolder();
        string models = Path.Combine(folder.Path, "models");
        string only = BundleTrainer.Train(MovieLensLoader.Load(factory.DataPath), new BundleTrainingOptions { Models = ["baseline"], Output = models });
        File.Delete(Path.Combine(models, BundleStore.CurrentPointer));
        using var host = new ModelHost(Options.Create(new MovieRecOptions { ModelsPath = models }), NullLogger<ModelHost>.Instance);

        Assert.True(host.HasPublishedBundle());
        await host.LoadAtStartAsync();

        Assert.Equal(Path.GetFileName(only), host.Current?.Id);
    }
}
