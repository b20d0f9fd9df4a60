using System.Text;
using MovieRec.Core.Data;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Baselines;
using MovieRec.Core.Models.Content;
using MovieRec.Core.Models.Ease;
using MovieRec.Core.Models.Factorization;
using MovieRec.Core.Models.Hybrid;
using MovieRec.Core.Models.Neighborhood;
using MovieRec.Core.Models.Neural;

namespace MovieRec.Core.Artifacts;

/// <summary>
/// Writes a model with everything it needs to answer on its own (id maps, the user-major training matrix, the
/// fallback baseline, the algorithm's parameters) and reads it back, refusing files of another format or version,
/// truncated files and damaged lengths.
/// </summary>
public static class ModelSerializer
{
    public const int FormatVersion = 1;

    private static readonly byte[] Magic = "MRMODEL\0"u8.ToArray();
    private static readonly byte[] MatrixMagic = "MRRATES\0"u8.ToArray();
    private const int EndMarker = 0x21444E45; // "END!"

    private delegate RecommenderModel Reader(string name, BinaryReader reader, RatingMatrix train, BiasBaseline fallback);

    // One entry per model class; the key is written into the file.
    private static readonly Dictionary<string, Reader> Readers = new(StringComparer.Ordinal)
    {
        [nameof(GlobalMeanModel)] = (_, r, t, f) => GlobalMeanModel.Read(r, t, f),
        [nameof(BaselineOnlyModel)] = BaselineOnlyModel.Read,
        [nameof(PopularityModel)] = (_, r, t, f) => PopularityModel.Read(r, t, f),
        [nameof(MatrixFactorizationModel)] = MatrixFactorizationModel.Read,
        [nameof(ImplicitFactorizationModel)] = (_, r, t, f) => ImplicitFactorizationModel.Read(r, t, f),
        [nameof(EaseModel)] = (_, r, t, f) => EaseModel.Read(r, t, f),
        [nameof(AutoRecModel)] = (_, r, t, f) => AutoRecModel.Read(r, t, f),
        [nameof(DeepMfModel)] = DeepMfModel.Read,
        [nameof(KnnModel)] = KnnModel.Read,
        [nameof(ContentModel)] = (_, r, t, f) => ContentModel.Read(r, t, f),
        [nameof(HybridModel)] = HybridModel.Read,
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

        string kind = m.GetType().Name;
        if (!Readers.ContainsKey(kind))
        {
            throw new ArgumentException($"Model type {kind} is not registered with ModelSerializer.", nameof(model));
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
        writer.Write(FormatVersion);
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
            if (version != FormatVersion)
            {
                throw new InvalidDataException($"Matrix format version {version} is not supported (this build reads version {FormatVersion}).");
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
            if (version != FormatVersion)
            {
                throw new InvalidDataException($"Model format version {version} is not supported (this build reads version {FormatVersion}).");
            }

            string kind = reader.ReadString();
            string name = reader.ReadString();
            if (!Readers.TryGetValue(kind, out Reader? read))
            {
                throw new InvalidDataException($"Unknown model type '{kind}'.");
            }

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
