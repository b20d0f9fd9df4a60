using System.Text;
using MovieRec.Core.Data;

namespace MovieRec.Core.Models;

/// <summary>
/// Writes a model with everything it needs to answer on its own (id maps, the user-major training matrix, the
/// fallback baseline, the algorithm's parameters) and reads it back, refusing files of another format or version,
/// truncated files and damaged lengths. The payload's kind is a stable id from <see cref="ModelRegistry"/>
/// (version 2); version 1 files, which named CLR classes, are read through a fixed table of those old names.
/// </summary>
public static class ModelSerializer
{
    public const int FormatVersion = 2;

    /// <summary>The oldest model format this build reads.</summary>
    public const int OldestReadableVersion = 1;

    /// <summary>The rating matrix file's own format (unchanged since version 1).</summary>
    public const int MatrixFormatVersion = 1;

    private static readonly byte[] Magic = "MRMODEL\0"u8.ToArray();
    private static readonly byte[] MatrixMagic = "MRRATES\0"u8.ToArray();
    private const int EndMarker = 0x21444E45; // "END!"

    // Format version 1 wrote the model's CLR class name as its kind; these are those names, frozen, and the stable
    // kinds they became. Never add to this table: new payloads are written with their registry kind.
    private static readonly Dictionary<string, string> Version1Kinds = new(StringComparer.Ordinal)
    {
        ["GlobalMeanModel"] = "global-mean",
        ["BaselineOnlyModel"] = "bias-baseline",
        ["PopularityModel"] = "popularity",
        ["MatrixFactorizationModel"] = "matrix-factorization",
        ["ImplicitFactorizationModel"] = "implicit-factorization",
        ["EaseModel"] = "ease",
        ["AutoRecModel"] = "autorec",
        ["DeepMfModel"] = "deep-mf",
        ["KnnModel"] = "knn",
        ["ContentModel"] = "content-tfidf",
        ["HybridModel"] = "hybrid-blend",
    };

    /// <summary>
    /// Writes the model; with <paramref name="includeMatrix"/> false the training matrix is left out (a bundle stores
    /// it once for all its models) and must be passed to <see cref="Load"/>.
    /// </summary>
    public static void Save(IRecommenderModel model, Stream stream, bool includeMatrix = true)
    {
        if (model is not RecommenderModel m)
        {
            throw new ArgumentException($"Model '{model.Name}' does not derive from RecommenderModel and cannot be saved.", nameof(model));
        }

        string kind = m.FormatKind;
        if (ModelRegistry.Reader(kind) is null)
        {
            throw new ArgumentException($"Model '{m.Name}' writes payload kind '{kind}', which no algorithm in ModelRegistry reads.", nameof(model));
        }

        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(FormatVersion);
        writer.Write(kind);
        writer.Write(m.Name);
        writer.Write(includeMatrix);
        if (includeMatrix)
        {
            WriteMatrix(writer, m.Train);
        }
        else
        {
            // Enough to refuse a model paired with another matrix.
            writer.Write(m.Train.UserCount);
            writer.Write(m.Train.ItemCount);
            writer.Write(m.Train.Count);
        }

        writer.Write(m.Fallback.GlobalMean);
        ModelBinary.WriteArray<float>(writer, m.Fallback.UserBias);
        ModelBinary.WriteArray<float>(writer, m.Fallback.ItemBias);

        m.WriteParameters(writer);
        writer.Write(EndMarker);
    }

    /// <summary>Writes a rating matrix on its own (the shared payload of a bundle).</summary>
    public static void SaveMatrix(RatingMatrix matrix, Stream stream)
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(MatrixMagic);
        writer.Write(MatrixFormatVersion);
        WriteMatrix(writer, matrix);
        writer.Write(EndMarker);
    }

    public static RatingMatrix LoadMatrix(Stream stream)
    {
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (!reader.ReadBytes(MatrixMagic.Length).AsSpan().SequenceEqual(MatrixMagic))
            {
                throw new InvalidDataException("Not a MovieRec rating matrix file.");
            }

            int version = reader.ReadInt32();
            if (version != MatrixFormatVersion)
            {
                throw new InvalidDataException($"Matrix format version {version} is not supported (this build reads version {MatrixFormatVersion}); re-train the bundle.");
            }

            RatingMatrix matrix = ReadMatrix(reader);
            if (reader.ReadInt32() != EndMarker)
            {
                throw new InvalidDataException("The matrix file does not end where its contents say: it is damaged.");
            }

            return matrix;
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException)
        {
            throw new InvalidDataException($"The matrix file is truncated or damaged: {e.Message}", e);
        }
    }

    /// <summary>Reads a model; <paramref name="sharedMatrix"/> is required for models saved without their matrix.</summary>
    public static IRecommenderModel Load(Stream stream, RatingMatrix? sharedMatrix = null)
    {
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            byte[] magic = reader.ReadBytes(Magic.Length);
            if (!magic.AsSpan().SequenceEqual(Magic))
            {
                throw new InvalidDataException("Not a MovieRec model file.");
            }

            int version = reader.ReadInt32();
            if (version is < OldestReadableVersion or > FormatVersion)
            {
                throw new InvalidDataException(
                    $"Model format version {version} is not supported: this build reads versions {OldestReadableVersion} to {FormatVersion}; re-train the model (format version {FormatVersion}).");
            }

            string kind = reader.ReadString();
            string name = reader.ReadString();
            if (version == 1)
            {
                kind = Version1Kinds.TryGetValue(kind, out string? stable) ? stable
                    : throw new InvalidDataException($"Model '{name}' has kind '{kind}', unknown to format version 1; re-train the model (format version {FormatVersion}).");
            }

            ModelReader read = ModelRegistry.Reader(kind)
                ?? throw new InvalidDataException($"Model '{name}' has payload kind '{kind}', which this build does not know; re-train the model (format version {FormatVersion}).");

            RatingMatrix train;
            if (reader.ReadBoolean())
            {
                train = ReadMatrix(reader);
            }
            else
            {
                train = sharedMatrix ?? throw new InvalidDataException($"Model '{name}' was saved without its rating matrix; load it through its bundle.");
                (int users, int items, int count) = (reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32());
                if ((users, items, count) != (train.UserCount, train.ItemCount, train.Count))
                {
                    throw new InvalidDataException($"Model '{name}' was trained on {users} users, {items} movies and {count} ratings, not on this bundle's matrix.");
                }
            }

            var fallback = new BiasBaseline(reader.ReadDouble(), ModelBinary.ReadFloats(reader), ModelBinary.ReadFloats(reader));

            RecommenderModel model = read(name, reader, train, fallback);
            if (reader.ReadInt32() != EndMarker)
            {
                throw new InvalidDataException("The model file does not end where its contents say: it is damaged.");
            }

            return model;
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException)
        {
            throw new InvalidDataException($"The model file is truncated or damaged: {e.Message}", e);
        }
    }

    private static void WriteMatrix(BinaryWriter writer, RatingMatrix t)
    {
        ModelBinary.WriteArray(writer, t.Users.RawIds);
        ModelBinary.WriteArray(writer, t.Items.RawIds);
        ModelBinary.WriteArray(writer, t.UserRowStart);
        ModelBinary.WriteArray(writer, t.UserItemIndex);
        ModelBinary.WriteArray(writer, t.UserValues);
    }

    private static RatingMatrix ReadMatrix(BinaryReader reader)
    {
        IdMap users = IdMap.FromSortedIds(ModelBinary.ReadInts(reader));
        IdMap items = IdMap.FromSortedIds(ModelBinary.ReadInts(reader));
        return RatingMatrix.FromUserMajor(users, items, ModelBinary.ReadInts(reader), ModelBinary.ReadInts(reader), ModelBinary.ReadFloats(reader));
    }
}
