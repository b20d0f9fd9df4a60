using MovieRec.Core.Data;
using MovieRec.Core.Numerics;

namespace MovieRec.Core.Models.Content;

/// <summary>
/// Movies as L2-normalised TF-IDF vectors over the whole catalogue. Similarity is cosine. A rating prediction is the
/// baseline plus the similarity-weighted baseline residuals of the user's most similar rated movies; a ranking score
/// is the cosine of the movie with the user's profile (the sum of the vectors of the movies they rated, each weighted
/// by the rating minus the user's mean).
/// </summary>
public sealed class ContentModel : RecommenderModel, ISimilarItems, IFoldIn, IExplainable
{
    /// <summary>The stable payload kind written into model files.</summary>
    public const string Kind = "content-tfidf";

    private readonly IdMap _catalogue;
    private readonly int[] _rowStart;
    private readonly int[] _terms;
    private readonly float[] _weights;
    private readonly int[] _catalogueOfItem;
    private readonly int _vocabulary;

    internal ContentModel(RatingMatrix train, BiasBaseline fallback, IdMap catalogue, int[] rowStart, int[] terms, float[] weights, int neighbors)
        : base(ContentTrainer.ModelName, train, fallback)
    {
        if (rowStart.Length != catalogue.Count + 1 || rowStart[^1] != terms.Length || terms.Length != weights.Length || neighbors <= 0)
        {
            throw new InvalidDataException("The content vectors do not fit the catalogue.");
        }

        _catalogue = catalogue;
        _rowStart = rowStart;
        _terms = terms;
        _weights = weights;
        Neighbors = neighbors;
        _vocabulary = terms.Length == 0 ? 0 : terms.Max() + 1;
        _catalogueOfItem = new int[train.ItemCount];
        for (int i = 0; i < train.ItemCount; i++)
        {
            _catalogueOfItem[i] = catalogue.IndexOf(train.Items.RawId(i));
            if (_catalogueOfItem[i] < 0)
            {
                throw new InvalidDataException($"Movie {train.Items.RawId(i)} is rated but not in the content catalogue.");
            }
        }
    }

    public int Neighbors { get; }

    /// <summary>Every movie the model has a vector for, rated or not.</summary>
    public IdMap Catalogue => _catalogue;

    /// <summary>Cosine similarity of two catalogue movies (raw ids), or null when either is unknown.</summary>
    public float? Similarity(int movieA, int movieB)
    {
        int a = _catalogue.IndexOf(movieA), b = _catalogue.IndexOf(movieB);
        return a < 0 || b < 0 ? null : Cosine(a, b);
    }

    public IReadOnlyList<ScoredMovie> Similar(int movieId, int n)
    {
        int query = _catalogue.IndexOf(movieId);
        if (query < 0)
        {
            return [];
        }

        float[] dense = new float[_vocabulary];
        for (int p = _rowStart[query]; p < _rowStart[query + 1]; p++)
        {
            dense[_terms[p]] = _weights[p];
        }

        float[] scores = new float[_catalogue.Count];
        for (int c = 0; c < scores.Length; c++)
        {
            scores[c] = c == query ? float.NaN : DotDense(c, dense);
        }

        return [.. TopK.Select(scores, n).Where(c => scores[c] > 0).Select(c => new ScoredMovie(_catalogue.RawId(c), scores[c]))];
    }

    public override void Score(int u, Span<float> scores) => ScoreFrom(Train.ItemsOf(u), Train.RatingsOf(u), scores);

    /// <summary>The same profile score from a history: each movie's similarity to the rated ones, weighted by rating above the mean.</summary>
    public void ScoreHistory(UserHistory history, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(history);
        ScoreFrom(history.Items, history.Ratings, scores);
    }

    /// <summary>The score is a sum over the rated movies (weight times content similarity): each term is that movie's share.</summary>
    public IReadOnlyList<Contribution> Explain(UserHistory history, int movieId, int max)
    {
        ArgumentNullException.ThrowIfNull(history);
        int target = _catalogue.IndexOf(movieId);
        if (target < 0 || history.Count == 0)
        {
            return [];
        }

        float[] weights = ProfileWeights(history.Ratings);
        var terms = new Contribution[history.Count];
        for (int p = 0; p < terms.Length; p++)
        {
            terms[p] = new Contribution(history.MovieId(p), weights[p] * Cosine(target, _catalogueOfItem[history.Items[p]]));
        }

        return [.. terms.Where(c => c.Weight > 0).OrderByDescending(c => c.Weight).Take(max)];
    }

    private static float[] ProfileWeights(ReadOnlySpan<float> ratings)
    {
        float mean = 0;
        foreach (float r in ratings)
        {
            mean += r;
        }

        mean /= Math.Max(1, ratings.Length);
        float[] weights = new float[ratings.Length];
        for (int p = 0; p < weights.Length; p++)
        {
            // A user who gives every movie the same rating still has a profile: then all count alike.
            float w = ratings[p] - mean;
            weights[p] = w != 0 ? w : 1f;
        }

        return weights;
    }

    private void ScoreFrom(ReadOnlySpan<int> items, ReadOnlySpan<float> ratings, Span<float> scores)
    {
        float mean = 0;
        foreach (float r in ratings)
        {
            mean += r;
        }

        mean /= Math.Max(1, ratings.Length);
        float[] profile = new float[_vocabulary];
        for (int p = 0; p < items.Length; p++)
        {
            // A user who gives every movie the same rating still has a profile: then all count alike.
            float w = ratings[p] - mean;
            AddTo(profile, _catalogueOfItem[items[p]], w != 0 ? w : 1f);
        }

        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = DotDense(_catalogueOfItem[i], profile);
        }
    }

    protected internal override string FormatKind => Kind;

    protected internal override void WriteParameters(BinaryWriter writer)
    {
        writer.Write(Neighbors);
        ModelBinary.WriteArray(writer, _catalogue.RawIds);
        ModelBinary.WriteArray<int>(writer, _rowStart);
        ModelBinary.WriteArray<int>(writer, _terms);
        ModelBinary.WriteArray<float>(writer, _weights);
    }

    internal static ContentModel Read(BinaryReader reader, RatingMatrix train, BiasBaseline fallback)
    {
        int neighbors = reader.ReadInt32();
        IdMap catalogue = IdMap.FromSortedIds(ModelBinary.ReadInts(reader));
        return new ContentModel(train, fallback, catalogue, ModelBinary.ReadInts(reader), ModelBinary.ReadInts(reader), ModelBinary.ReadFloats(reader), neighbors);
    }

    protected internal override float? PredictUnratedMovie(int u, int movieId)
    {
        int c = _catalogue.IndexOf(movieId);
        return c < 0 ? null : NeighbourEstimate(u, c, Fallback.Estimate(u, -1), exclude: -1);
    }

    protected override float EstimateCore(int u, int i) => NeighbourEstimate(u, _catalogueOfItem[i], Fallback.Estimate(u, i), exclude: i);

    /// <summary>The base estimate plus the similarity-weighted baseline residuals of the user's most similar rated movies.</summary>
    private float NeighbourEstimate(int u, int target, float baseEstimate, int exclude)
    {
        ReadOnlySpan<int> items = Train.ItemsOf(u);
        ReadOnlySpan<float> ratings = Train.RatingsOf(u);
        float[] sims = new float[items.Length];
        for (int p = 0; p < items.Length; p++)
        {
            sims[p] = items[p] == exclude ? float.NaN : Cosine(target, _catalogueOfItem[items[p]]);
        }

        double num = 0, den = 0;
        foreach (int p in TopK.Select(sims, Neighbors))
        {
            if (sims[p] > 0)
            {
                num += sims[p] * (ratings[p] - Fallback.Estimate(u, items[p]));
                den += sims[p];
            }
        }

        return baseEstimate + (den > 0 ? (float)(num / den) : 0f);
    }

    private float Cosine(int a, int b)
    {
        // Both rows are sorted by term: merge.
        int pa = _rowStart[a], ea = _rowStart[a + 1], pb = _rowStart[b], eb = _rowStart[b + 1];
        float dot = 0;
        while (pa < ea && pb < eb)
        {
            int d = _terms[pa] - _terms[pb];
            if (d == 0)
            {
                dot += _weights[pa++] * _weights[pb++];
            }
            else if (d < 0)
            {
                pa++;
            }
            else
            {
                pb++;
            }
        }

        return dot;
    }

    private float DotDense(int c, float[] dense)
    {
        float dot = 0;
        for (int p = _rowStart[c]; p < _rowStart[c + 1]; p++)
        {
            dot += _weights[p] * dense[_terms[p]];
        }

        return dot;
    }

    private void AddTo(float[] dense, int c, float scale)
    {
        for (int p = _rowStart[c]; p < _rowStart[c + 1]; p++)
        {
            dense[_terms[p]] += scale * _weights[p];
        }
    }
}
