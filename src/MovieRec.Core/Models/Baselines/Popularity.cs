using MovieRec.Core.Data;

namespace MovieRec.Core.Models.Baselines;

/// <summary>Options of <see cref="PopularityTrainer"/>.</summary>
public sealed record PopularityOptions
{
    /// <summary>Only ratings at or above this count towards a movie's popularity (0 counts every rating).</summary>
    [Option("only ratings at or above this count towards popularity (0 counts all)", Min = 0, Max = 10)]
    public float MinRating { get; init; }

    public PopularityOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(MinRating, nameof(MinRating));
        return this;
    }
}

/// <summary>
/// Ranks movies by how many training ratings they have, the same list for everyone (minus what they rated).
/// Rating predictions are the baseline estimate, so the model still runs through rating metrics.
/// </summary>
public sealed class PopularityTrainer(PopularityOptions? options = null) : IRecommenderTrainer
{
    public const string ModelName = "popular";

    public PopularityOptions Options { get; } = (options ?? new PopularityOptions()).Validate();

    public string Name => ModelName;

    public IRecommenderModel Fit(RatingMatrix train, TrainingOptions? options = null)
    {
        float[] popularity = new float[train.ItemCount];
        for (int i = 0; i < train.ItemCount; i++)
        {
            int count = 0;
            foreach (float r in train.RatingsOfItem(i))
            {
                if (r >= Options.MinRating)
                {
                    count++;
                }
            }

            popularity[i] = count;
        }

        return new PopularityModel(train, BiasBaseline.Default(train), popularity);
    }
}

public sealed class PopularityModel : RecommenderModel
{
    /// <summary>The stable payload kind written into model files.</summary>
    public const string Kind = "popularity";

    private readonly float[] _popularity;

    internal PopularityModel(RatingMatrix train, BiasBaseline fallback, float[] popularity)
        : base(PopularityTrainer.ModelName, train, fallback)
    {
        if (popularity.Length != train.ItemCount)
        {
            throw new InvalidDataException("The popularity vector does not match the item count.");
        }

        _popularity = popularity;
    }

    public override void Score(int u, Span<float> scores) => _popularity.CopyTo(scores);

    protected internal override string FormatKind => Kind;

    protected internal override void WriteParameters(BinaryWriter writer) => ModelBinary.WriteArray(writer, _popularity);

    internal static PopularityModel Read(BinaryReader reader, RatingMatrix train, BiasBaseline fallback) =>
        new(train, fallback, ModelBinary.ReadFloats(reader));

    protected override float EstimateCore(int u, int i) => Fallback.Estimate(u, i);

    protected internal override void ScoreUnknownUser(Span<float> scores) => _popularity.CopyTo(scores);
}
