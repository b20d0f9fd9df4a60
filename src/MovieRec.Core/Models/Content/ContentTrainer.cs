using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Text;
using MovieRec.Core.Data;

namespace MovieRec.Core.Models.Content;

/// <summary>
/// Options of <see cref="ContentTrainer"/>. A movie's document is its genres, its users' tags and its title words;
/// the weights repeat each field's tokens, so a genre counts <see cref="GenreWeight"/> times a title word.
/// </summary>
public sealed record ContentOptions
{
    [Option("times a genre token counts in a movie's document", Min = 0, Max = 100)]
    public int GenreWeight { get; init; } = 3;

    [Option("times a tag token counts", Min = 0, Max = 100)]
    public int TagWeight { get; init; } = 2;

    [Option("times a title word counts", Min = 0, Max = 100)]
    public int TitleWeight { get; init; } = 1;

    /// <summary>Rated movies that take part in a rating prediction: the most similar ones.</summary>
    [Option("most similar rated movies that take part in a prediction", Min = 1, Max = 100000, TuneMin = 5, TuneMax = 200, LogScale = true)]
    public int Neighbors { get; init; } = 40;

    public ContentOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(GenreWeight, nameof(GenreWeight));
        ArgumentOutOfRangeException.ThrowIfNegative(TagWeight, nameof(TagWeight));
        ArgumentOutOfRangeException.ThrowIfNegative(TitleWeight, nameof(TitleWeight));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Neighbors, nameof(Neighbors));
        if (GenreWeight + TagWeight + TitleWeight == 0)
        {
            throw new ArgumentException("At least one field needs a positive weight.");
        }

        return this;
    }
}

/// <summary>
/// The content model: TF-IDF vectors of movie documents (Microsoft.ML's tokenizer and n-gram TF-IDF transform),
/// L2-normalised so that a dot product is the cosine similarity. It covers the whole catalogue, so movies nobody rated
/// still have similar movies.
/// </summary>
public sealed class ContentTrainer(IReadOnlyList<Movie> movies, IReadOnlyList<Tag> tags, ContentOptions? options = null) : IRecommenderTrainer
{
    public const string ModelName = "content";

    public ContentOptions Options { get; } = (options ?? new ContentOptions()).Validate();

    public string Name => ModelName;

    public IRecommenderModel Fit(RatingMatrix train, TrainingOptions? options = null)
    {
        if (movies.Count == 0)
        {
            throw new ArgumentException("The content model needs the movie catalogue (movies.csv, u.item or movies.dat).");
        }

        IdMap catalogue = IdMap.FromIds([.. movies.Select(m => m.MovieId), .. train.Items.RawIds]);
        string[] documents = Documents(catalogue, movies, tags, Options);
        (int[] rowStart, int[] terms, float[] weights) = TfIdf(documents);
        return new ContentModel(train, BiasBaseline.Default(train), catalogue, rowStart, terms, weights, Options.Neighbors);
    }

    /// <summary>The text of each catalogue movie, with field prefixes so a genre never matches a title word.</summary>
    internal static string[] Documents(IdMap catalogue, IReadOnlyList<Movie> movies, IReadOnlyList<Tag> tags, ContentOptions options)
    {
        var docs = new StringBuilder[catalogue.Count];
        for (int c = 0; c < docs.Length; c++)
        {
            docs[c] = new StringBuilder();
        }

        foreach (Movie m in movies)
        {
            StringBuilder doc = docs[catalogue.IndexOf(m.MovieId)];
            foreach (string genre in m.Genres)
            {
                Append(doc, "g", genre.Replace(' ', '_'), options.GenreWeight);
            }

            string title = m.Year is null ? m.Title : m.Title[..m.Title.LastIndexOf('(')];
            foreach (string word in Words(title))
            {
                Append(doc, "w", word, options.TitleWeight);
            }
        }

        foreach (Tag tag in tags)
        {
            int c = catalogue.IndexOf(tag.MovieId);
            if (c >= 0)
            {
                foreach (string word in Words(tag.Text))
                {
                    Append(docs[c], "t", word, options.TagWeight);
                }
            }
        }

        return [.. docs.Select(d => d.ToString())];
    }

    private static void Append(StringBuilder doc, string field, string token, int times)
    {
        for (int n = 0; n < times; n++)
        {
            doc.Append(field).Append('_').Append(token.ToLowerInvariant()).Append(' ');
        }
    }

    private static IEnumerable<string> Words(string text)
    {
        var word = new StringBuilder();
        foreach (char ch in text)
        {
            if (char.IsLetterOrDigit(ch))
            {
                word.Append(char.ToLowerInvariant(ch));
            }
            else if (word.Length > 0)
            {
                yield return word.ToString();
                word.Clear();
            }
        }

        if (word.Length > 0)
        {
            yield return word.ToString();
        }
    }

    /// <summary>TF-IDF rows by Microsoft.ML (tokenise, map to keys, unigram TF-IDF), L2-normalised, as sparse CSR.</summary>
    private static (int[] RowStart, int[] Terms, float[] Weights) TfIdf(string[] documents)
    {
        var ml = new MLContext(seed: 0);
        IDataView data = ml.Data.LoadFromEnumerable(documents.Select(d => new Document { Text = d }));
        var pipeline = ml.Transforms.Text.TokenizeIntoWords("Tokens", nameof(Document.Text), [' '])
            .Append(ml.Transforms.Conversion.MapValueToKey("Tokens"))
            .Append(ml.Transforms.Text.ProduceNgrams("Features", "Tokens", ngramLength: 1, useAllLengths: false, weighting: NgramExtractingEstimator.WeightingCriteria.TfIdf))
            .Append(ml.Transforms.NormalizeLpNorm("Features"));
        IDataView features = pipeline.Fit(data).Transform(data);

        int[] rowStart = new int[documents.Length + 1];
        var terms = new List<int>();
        var weights = new List<float>();
        int row = 0;
        using (DataViewRowCursor cursor = features.GetRowCursor([features.Schema["Features"]]))
        {
            ValueGetter<VBuffer<float>> getter = cursor.GetGetter<VBuffer<float>>(features.Schema["Features"]);
            VBuffer<float> vector = default;
            while (cursor.MoveNext())
            {
                getter(ref vector);
                foreach (KeyValuePair<int, float> entry in vector.Items())
                {
                    if (entry.Value != 0)
                    {
                        terms.Add(entry.Key);
                        weights.Add(entry.Value);
                    }
                }

                rowStart[++row] = terms.Count;
            }
        }

        return (rowStart, [.. terms], [.. weights]);
    }

    private sealed class Document
    {
        public string Text { get; set; } = string.Empty;
    }
}
