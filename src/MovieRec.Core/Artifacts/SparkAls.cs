using System.Text.Json;
using MovieRec.Core.Data;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Factorization;
using Parquet;
using Parquet.Schema;

namespace MovieRec.Core.Artifacts;

/// <summary>One side of an ALS model: ids and their factor rows (row r is <c>Factors.AsSpan(r * Rank, Rank)</c>).</summary>
public sealed record FactorTable(int[] Ids, float[] Factors, int Rank, IReadOnlyList<string> Files);

/// <summary>What an import read, for the bundle's manifest.</summary>
public sealed record SparkAlsImportOptions(string Source, int Rank, int Users, int Movies, string? SparkVersion, string? Uid);

/// <summary>
/// Spark MLlib's ALS model on disk (<c>ALSModel.save(path)</c>): <c>metadata/part-00000</c> (JSON: class, Spark
/// version, params with <c>rank</c>) and <c>userFactors/</c>, <c>itemFactors/</c>, each a folder of
/// <c>part-*.parquet</c> files with the columns <c>id</c> (int) and <c>features</c> (array&lt;float&gt;). MovieRec reads
/// those factors into a factorization model that scores p_u . q_i (Spark's ALS has no biases). Parquet through
/// Parquet.Net, which reads V1 data pages (Spark's default); files with V2 data pages are refused with a message
/// that says how to write V1.
/// </summary>
public static class SparkAls
{
    public const string ModelName = "spark-als";
    public const string UserFactorsFolder = "userFactors";
    public const string ItemFactorsFolder = "itemFactors";

    /// <summary>Reads the user and item factors of an ALSModel.save folder.</summary>
    public static (FactorTable Users, FactorTable Items, SparkAlsImportOptions Info) Read(string modelDir)
    {
        if (!Directory.Exists(modelDir))
        {
            throw new FileNotFoundException($"Spark ALS model folder '{modelDir}' does not exist.");
        }

        (string? version, string? uid, int? rank) = ReadMetadata(modelDir);
        FactorTable users = ReadFactors(Path.Combine(modelDir, UserFactorsFolder));
        FactorTable items = ReadFactors(Path.Combine(modelDir, ItemFactorsFolder));
        if (users.Rank != items.Rank)
        {
            throw new InvalidDataException($"{modelDir}: user factors have rank {users.Rank} but item factors rank {items.Rank}.");
        }

        if (rank is int declared && declared != users.Rank)
        {
            throw new InvalidDataException($"{Path.Combine(modelDir, "metadata")}: rank is {declared} but the factors have {users.Rank} features.");
        }

        return (users, items, new SparkAlsImportOptions(Path.GetFullPath(modelDir), users.Rank, users.Ids.Length, items.Ids.Length, version, uid));
    }

    /// <summary>
    /// Builds the served model. With <paramref name="ratings"/> (the data Spark trained on), the model's matrix holds
    /// them, so recommendations leave out what a user rated; users and movies without factors score zero. Without,
    /// the matrix holds every id with factors and no ratings.
    /// </summary>
    public static MatrixFactorizationModel ToModel(FactorTable users, FactorTable items, Rating[]? ratings)
    {
        RatingMatrix matrix = ratings is { Length: > 0 }
            ? RatingMatrix.Build(ratings)
            : RatingMatrix.FromUserMajor(IdMap.FromIds(users.Ids), IdMap.FromIds(items.Ids), new int[users.Ids.Length + 1], [], []);
        int k = users.Rank;
        float[] p = Place(users, matrix.Users, k);
        float[] q = Place(items, matrix.Items, k);
        var fallback = new BiasBaseline(0, new float[matrix.UserCount], new float[matrix.ItemCount]);
        return new MatrixFactorizationModel(ModelName, matrix, fallback, k, 0f, new float[matrix.UserCount], new float[matrix.ItemCount], p, q, 0.1f);
    }

    /// <summary>Reads an ALSModel.save folder and publishes it as a bundle under <paramref name="root"/>; returns the bundle folder.</summary>
    public static string Import(string modelDir, string root, MovieLensDataset? data = null, int keep = 3)
    {
        (FactorTable users, FactorTable items, SparkAlsImportOptions info) = Read(modelDir);
        MatrixFactorizationModel model = ToModel(users, items, data?.Ratings);
        MovieLensDataset source = data ?? new MovieLensDataset
        {
            Folder = modelDir,
            Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelDir))),
            Format = MovieLensFormat.Csv,
            Scale = RatingScale.HalfStars,
            Ratings = [],
            Movies = [],
            Tags = [],
            Links = [],
            Report = new LoadReport(),
            Files = [.. users.Files, .. items.Files],
        };
        return BundleStore.Publish(root, source, model.Train, [new TrainedModel(model, info, 0)], keep);
    }

    /// <summary>Writes a factor table as one Parquet file in Spark's exact schema (required int32 id; optional list of required float).</summary>
    public static async Task WriteFactorsAsync(string path, int[] ids, float[] factors, int rank)
    {
        var id = new DataField<int>("id", nullable: false);
        var element = new DataField<float>("element", nullable: false);
        var schema = new ParquetSchema(id, new ListField("features", element));
        int[] repetition = new int[ids.Length * rank];
        int[] definition = new int[ids.Length * rank];
        for (int v = 0; v < repetition.Length; v++)
        {
            repetition[v] = v % rank == 0 ? 0 : 1;
            definition[v] = element.MaxDefinitionLevel > 0 ? element.MaxDefinitionLevel : 2;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await using FileStream stream = File.Create(path);
        await using ParquetWriter writer = await ParquetWriter.CreateAsync(schema, stream);
        using ParquetRowGroupWriter group = writer.CreateRowGroup();
        await group.WriteAsync<int>(id, ids);
        await group.WriteAllPartsAsync<float>(element, factors.AsMemory(0, ids.Length * rank), definition, repetition, CancellationToken.None);
    }

    private static (string? Version, string? Uid, int? Rank) ReadMetadata(string modelDir)
    {
        string folder = Path.Combine(modelDir, "metadata");
        string? file = Directory.Exists(folder) ? Directory.GetFiles(folder, "part-*").Where(f => !f.EndsWith(".crc", StringComparison.Ordinal)).Order(StringComparer.Ordinal).FirstOrDefault() : null;
        if (file is null)
        {
            return (null, null, null);
        }

        try
        {
            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(file));
            JsonElement root = json.RootElement;
            string? cls = root.TryGetProperty("class", out JsonElement c) ? c.GetString() : null;
            if (cls is not null && !cls.EndsWith("ALSModel", StringComparison.Ordinal))
            {
                throw new InvalidDataException($"{file}: the model is a {cls}, not an ALSModel.");
            }

            int? rank = root.TryGetProperty("paramMap", out JsonElement p) && p.TryGetProperty("rank", out JsonElement r) && r.TryGetInt32(out int rv) ? rv : null;
            return (root.TryGetProperty("sparkVersion", out JsonElement v) ? v.GetString() : null,
                root.TryGetProperty("uid", out JsonElement u) ? u.GetString() : null, rank);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file} is not Spark model metadata (JSON): {e.Message}", e);
        }
    }

    private static FactorTable ReadFactors(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new FileNotFoundException($"'{folder}' does not exist: an ALSModel.save folder holds userFactors/ and itemFactors/.");
        }

        string[] files = [.. Directory.GetFiles(folder, "part-*.parquet").Order(StringComparer.Ordinal)];
        if (files.Length == 0)
        {
            throw new InvalidDataException($"'{folder}' holds no part-*.parquet files.");
        }

        var ids = new List<int>();
        var factors = new List<float>();
        int rank = -1;
        foreach (string file in files)
        {
            try
            {
                rank = ReadFile(file, ids, factors, rank).GetAwaiter().GetResult();
            }
            catch (NotImplementedException e)
            {
                throw new InvalidDataException(
                    $"{file}: this Parquet file uses an encoding the reader (Parquet.Net 6.1) does not implement, most likely V2 data pages " +
                    $"({e.Message}). Write the model with V1 data pages, Spark's default (parquet.writer.version=v1; DuckDB: PARQUET_VERSION V1).", e);
            }
            catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{file} is not a readable Parquet factor file: {e.Message}", e);
            }
        }

        int[] idArray = [.. ids];
        var seen = new HashSet<int>();
        foreach (int id in idArray)
        {
            if (!seen.Add(id))
            {
                throw new InvalidDataException($"{folder}: id {id} appears twice.");
            }
        }

        return new FactorTable(idArray, [.. factors], Math.Max(rank, 0), files);
    }

    private static async Task<int> ReadFile(string file, List<int> ids, List<float> factors, int rank)
    {
        await using ParquetReader reader = await ParquetReader.CreateAsync(file);
        DataField[] fields = reader.Schema.GetDataFields();
        DataField idField = fields.FirstOrDefault(f => f.Name == "id") ?? throw new InvalidDataException($"{file} has no 'id' column (columns: {string.Join(", ", fields.Select(f => f.Path))}).");
        DataField featureField = fields.FirstOrDefault(f => f.Path.ToString().StartsWith("features", StringComparison.Ordinal))
            ?? throw new InvalidDataException($"{file} has no 'features' column (columns: {string.Join(", ", fields.Select(f => f.Path))}).");
        if (idField.ClrType != typeof(int) || featureField.ClrType != typeof(float) || featureField.MaxRepetitionLevel != 1)
        {
            throw new InvalidDataException($"{file}: expected id int and features array<float>, found {idField.ClrType.Name} and {featureField.ClrType.Name} (repetition {featureField.MaxRepetitionLevel}).");
        }

        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using ParquetRowGroupReader group = reader.OpenRowGroupReader(g);
            int rows = checked((int)group.RowCount);
            int[] rowIds = new int[rows];
            if (idField.IsNullable)
            {
                int?[] nullable = new int?[rows];
                await group.ReadAsync<int>(idField, nullable, null);
                for (int r = 0; r < rows; r++)
                {
                    rowIds[r] = nullable[r] ?? throw new InvalidDataException($"{file}: row {r + 1} of row group {g} has no id.");
                }
            }
            else
            {
                await group.ReadAsync<int>(idField, rowIds, null);
            }

            long count = group.GetMetadata(featureField)?.MetaData?.NumValues ?? throw new InvalidDataException($"{file}: the features column has no metadata.");
            float[] values = new float[count];
            int[] definition = new int[count];
            int[] repetition = new int[count];
            await group.ReadRawAsync<float>(featureField, values, definition, repetition);

            // Rows start where the repetition level is 0; every element must be present.
            int row = -1, length = 0, at = 0;
            for (int v = 0; v < count; v++)
            {
                if (repetition[v] == 0)
                {
                    CheckRank(file, rowIds, row, length, ref rank);
                    row++;
                    length = 0;
                }

                if (definition[v] != featureField.MaxDefinitionLevel)
                {
                    throw new InvalidDataException($"{file}: the features of id {(row >= 0 && row < rows ? rowIds[row] : -1)} are null or empty.");
                }

                factors.Add(values[at++]);
                length++;
            }

            CheckRank(file, rowIds, row, length, ref rank);
            if (row + 1 != rows)
            {
                throw new InvalidDataException($"{file}: {rows} ids but {row + 1} feature arrays.");
            }

            ids.AddRange(rowIds);
        }

        return rank;
    }

    private static void CheckRank(string file, int[] rowIds, int row, int length, ref int rank)
    {
        if (row < 0)
        {
            return;
        }

        if (rank < 0)
        {
            rank = length;
        }
        else if (length != rank)
        {
            throw new InvalidDataException($"{file}: id {rowIds[row]} has {length} features, the others {rank}.");
        }
    }

    private static float[] Place(FactorTable table, IdMap map, int k)
    {
        float[] result = new float[map.Count * k];
        for (int r = 0; r < table.Ids.Length; r++)
        {
            int index = map.IndexOf(table.Ids[r]);
            if (index >= 0)
            {
                table.Factors.AsSpan(r * k, k).CopyTo(result.AsSpan(index * k, k));
            }
        }

        return result;
    }
}
