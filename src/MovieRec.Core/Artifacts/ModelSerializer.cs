using System.Text;
using MovieRec.Core.Data;
using MovieRec.Core.Models;
using MovieRec.Core.Models.Baselines;
using MovieRec.Core.Models.Neighborhood;

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
    private const int EndMarker = 0x21444E45; // "END!"

    private delegate RecommenderModel Reader(string name, BinaryReader reader, RatingMatrix train, BiasBaseline fallback);

    // One entry per model class; the key is written into the file.
    private static readonly Dictionary<string, Reader> Readers = new(StringComparer.Ordinal)
    {
        [nameof(GlobalMeanModel)] = (_, r, t, f) => GlobalMeanModel.Read(r, t, f),
        [nameof(BaselineOnlyModel)] = BaselineOnlyModel.Read,
        [nameof(PopularityModel)] = (_, r, t, f) => PopularityModel.Read(r, t, f),
        [nameof(KnnModel)] = KnnModel.Read,
    };

    public static void Save(IRecommenderModel model, Stream stream)
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

        RatingMatrix t = m.Train;
        ModelBinary.WriteArray(writer, t.Users.RawIds);
        ModelBinary.WriteArray(writer, t.Items.RawIds);
        ModelBinary.WriteArray(writer, t.UserRowStart);
        ModelBinary.WriteArray(writer, t.UserItemIndex);
        ModelBinary.WriteArray(writer, t.UserValues);

        writer.Write(m.Fallback.GlobalMean);
        ModelBinary.WriteArray<float>(writer, m.Fallback.UserBias);
        ModelBinary.WriteArray<float>(writer, m.Fallback.ItemBias);

        m.WriteParameters(writer);
        writer.Write(EndMarker);
    }

    public static IRecommenderModel Load(Stream stream)
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

            IdMap users = IdMap.FromSortedIds(ModelBinary.ReadInts(reader));
            IdMap items = IdMap.FromSortedIds(ModelBinary.ReadInts(reader));
            RatingMatrix train = RatingMatrix.FromUserMajor(users, items, ModelBinary.ReadInts(reader), ModelBinary.ReadInts(reader), ModelBinary.ReadFloats(reader));
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
}
