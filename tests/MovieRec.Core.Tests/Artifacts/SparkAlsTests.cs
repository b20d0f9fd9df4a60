using MovieRec.Core.Artifacts;
using MovieRec.Core.Data;
using MovieRec.Core.Models;
using Parquet;
using Parquet.Schema;

namespace MovieRec.Core.Tests.Artifacts;

public sealed class SparkAlsTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private static int[] MovieIds(int n) => [.. Enumerable.Range(0, n).Select(Fixtures.MovieId)];

    [Fact]
    public async Task Factors_are_written_in_sparks_exact_schema()
    {
        SparkAlsLayout layout = SparkAlsLayout.Write(Path.Combine(_dir.Path, "als"), users: 6, MovieIds(9), rank: 4);

        string file = Directory.GetFiles(Path.Combine(layout.Folder, "itemFactors"), "part-*.parquet").Single();
        await using ParquetReader reader = await ParquetReader.CreateAsync(file);
        DataField[] fields = reader.Schema.GetDataFields();
        Assert.Equal(2, fields.Length);
        Assert.Equal("id", fields[0].Name);
        Assert.Equal(typeof(int), fields[0].ClrType);
        Assert.False(fields[0].IsNullable);          // required int32 id
        Assert.Equal("features/list/element", fields[1].Path.ToString());
        Assert.Equal(typeof(float), fields[1].ClrType);
        Assert.False(fields[1].IsNullable);          // required float element (containsNull = false)
        Assert.Equal(1, fields[1].MaxRepetitionLevel); // repeated group list
        Assert.Equal(2, fields[1].MaxDefinitionLevel); // inside an optional group features (LIST)
    }

    [Fact]
    public void An_imported_model_recommends_the_dot_product_top_10_from_a_bundle_with_checksums()
    {
        SparkAlsLayout layout = SparkAlsLayout.Write(Path.Combine(_dir.Path, "als"), users: 25, MovieIds(60), rank: 10);
        string root = Path.Combine(_dir.Path, "models");

        string folder = SparkAls.Import(layout.Folder, root);

        ModelBundle bundle = BundleStore.LoadCurrent(root);
        Assert.Equal(folder, bundle.Folder);
        IRecommenderModel model = bundle.Models[SparkAls.ModelName];
        foreach (int user in layout.UserIds)
        {
            Assert.Equal(layout.DotProductTop(user, 10), model.Recommend(user, 10).Select(m => m.MovieId));
        }

        // The manifest checksums the Parquet parts it was made from and every payload; the options say what was read.
        Assert.Equal(3, bundle.Manifest.Dataset.Files.Count);
        Assert.All(bundle.Manifest.Dataset.Files, f => Assert.Equal(64, f.Sha256.Length));
        string options = bundle.Manifest.Models.Single().Options!.Value.GetRawText();
        Assert.Contains("\"rank\": 10", options, StringComparison.Ordinal);
        Assert.Contains("3.5.1", options, StringComparison.Ordinal);
    }

    [Fact]
    public void With_the_training_data_the_bundle_leaves_out_what_a_user_rated()
    {
        Rating[] ratings = Fixtures.SyntheticRatings(20, 40);
        string data = Fixtures.WriteCsvDataset(_dir, ratings, movies: 40);
        SparkAlsLayout layout = SparkAlsLayout.Write(Path.Combine(_dir.Path, "als"), users: 20, MovieIds(40), rank: 6);
        string root = Path.Combine(_dir.Path, "models");

        SparkAls.Import(layout.Folder, root, MovieLensLoader.Load(data));

        ModelBundle bundle = BundleStore.LoadCurrent(root);
        IRecommenderModel model = bundle.Models[SparkAls.ModelName];
        var rated = ratings.Where(r => r.UserId == 3).Select(r => r.MovieId).ToHashSet();
        Assert.Equal(layout.DotProductTop(3, 10, rated), model.Recommend(3, 10).Select(m => m.MovieId));
        Assert.Equal(40, bundle.Movies.Count);
    }

    public static TheoryData<string> PageVersions => new() { "v1", "v2" };

    [Theory]
    [MemberData(nameof(PageVersions))]
    public void Files_written_by_duckdb_with_v1_or_v2_data_pages_read_the_same_factors(string version)
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "spark-duckdb", version);

        (FactorTable users, FactorTable items, SparkAlsImportOptions info) = SparkAls.Read(folder);

        Assert.Equal(8, info.Rank);
        Assert.Equal(Enumerable.Range(1, 30), users.Ids);
        Assert.Equal(Enumerable.Range(1, 50).Select(i => i * 10), items.Ids);
        for (int r = 0; r < items.Ids.Length; r++)
        {
            for (int k = 0; k < 8; k++)
            {
                float expected = (float)((((items.Ids[r] * 7) + (k * 13)) % 97 / 97.0) - 0.5);
                Assert.Equal(expected, items.Factors[(r * 8) + k], 6);
            }
        }
    }

    [Fact]
    public async Task Broken_models_are_refused_with_the_file_and_the_reason()
    {
        SparkAlsLayout layout = SparkAlsLayout.Write(Path.Combine(_dir.Path, "als"), users: 4, MovieIds(5), rank: 3);
        await SparkAls.WriteFactorsAsync(Directory.GetFiles(Path.Combine(layout.Folder, "itemFactors"), "part-*.parquet").Single(), [1, 2], new float[8], 4);

        var rank = Assert.Throws<InvalidDataException>(() => SparkAls.Read(layout.Folder));
        Assert.Contains("rank 3 but item factors rank 4", rank.Message, StringComparison.Ordinal);

        Directory.Delete(Path.Combine(layout.Folder, "itemFactors"), recursive: true);
        var missing = Assert.Throws<FileNotFoundException>(() => SparkAls.Read(layout.Folder));
        Assert.Contains("itemFactors", missing.Message, StringComparison.Ordinal);

        string notParquet = Path.Combine(_dir.Path, "bad");
        Directory.CreateDirectory(Path.Combine(notParquet, "userFactors"));
        Directory.CreateDirectory(Path.Combine(notParquet, "itemFactors"));
        File.WriteAllText(Path.Combine(notParquet, "userFactors", "part-00000.parquet"), "not parquet at all");
        File.WriteAllText(Path.Combine(notParquet, "itemFactors", "part-00000.parquet"), "not parquet at all");
        var bad = Assert.Throws<InvalidDataException>(() => SparkAls.Read(notParquet));
        Assert.Contains("part-00000.parquet", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ratings_round_trip_through_parquet()
    {
        Rating[] ratings = Fixtures.SyntheticRatings(15, 20);

        string file = ParquetRatings.Write(Path.Combine(_dir.Path, "pq"), ratings);

        Assert.Equal(ratings, ParquetRatings.Read(file));
    }
}
