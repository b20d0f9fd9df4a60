using System.Globalization;
using System.Text;
using MovieRec.Core.Data;

namespace MovieRec.Core.Tests.Data;

/// <summary>The fast reader of plain ratings.csv files: exact, sized once, split over threads, and giving way to the general reader.</summary>
public sealed class PlainRatingsCsvTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Rating[] Sample(int count)
    {
        var random = new Random(5);
        string[] values = ["0.5", "1", "1.0", "1.5", "2.5", "3.7", "4.25", "5.0", "5"];
        var ratings = new Rating[count];
        for (int r = 0; r < count; r++)
        {
            string text = values[random.Next(values.Length)];
            ratings[r] = new Rating(1 + (r / 7), 1 + random.Next(100_000), float.Parse(text, CultureInfo.InvariantCulture), 900_000_000L + random.Next());
        }

        return ratings;
    }

    private string Write(string name, Rating[] ratings, bool timestamps = true, string newline = "\n", bool finalNewline = true, string? header = null)
    {
        var text = new StringBuilder(header ?? (timestamps ? "userId,movieId,rating,timestamp" : "userId,movieId,rating")).Append(newline);
        for (int r = 0; r < ratings.Length; r++)
        {
            Rating x = ratings[r];
            text.Append(CultureInfo.InvariantCulture, $"{x.UserId},{x.MovieId},{x.Value.ToString(CultureInfo.InvariantCulture)}");
            if (timestamps)
            {
                text.Append(CultureInfo.InvariantCulture, $",{x.Timestamp}");
            }

            if (r < ratings.Length - 1 || finalNewline)
            {
                text.Append(newline);
            }
        }

        string path = Path.Combine(_dir.Path, name);
        File.WriteAllText(path, text.ToString());
        return path;
    }

    [Theory]
    [InlineData(1, "\n", true)]
    [InlineData(3, "\n", false)]
    [InlineData(4, "\r\n", true)]
    [InlineData(7, "\r\n", false)]
    public void Reads_every_row_exactly_in_file_order_whatever_the_number_of_parts(int threads, string newline, bool finalNewline)
    {
        Rating[] expected = Sample(5_000);
        string path = Write("ratings.csv", expected, newline: newline, finalNewline: finalNewline);

        Rating[]? read = PlainRatingsCsv.TryRead(path, RatingScale.HalfStars, threads, parallelMinBytes: 0);

        Assert.NotNull(read);
        Assert.Equal(expected, read);
    }

    [Fact]
    public void Reads_files_without_a_timestamp_column_as_timestamp_zero()
    {
        Rating[] expected = [.. Sample(300).Select(r => r with { Timestamp = 0 })];
        string path = Write("ratings.csv", expected, timestamps: false);

        Assert.Equal(expected, PlainRatingsCsv.TryRead(path, RatingScale.HalfStars, 2, parallelMinBytes: 0));
    }

    [Theory]
    [InlineData("1,2,\"3.5\",100")]
    [InlineData("1, 2,3.5,100")]
    [InlineData("")]
    [InlineData("1,2,3.5,")]
    [InlineData("-1,2,3.5,100")]
    [InlineData("1,2,3.5,100,7")]
    [InlineData("1,2,9,100")]
    [InlineData("1,2,3e0,100")]
    public void Gives_way_to_the_general_reader_on_anything_but_a_plain_row(string odd)
    {
        string path = Write("ratings.csv", Sample(50));
        File.AppendAllText(path, odd + "\n2,3,4.0,5\n");

        Assert.Null(PlainRatingsCsv.TryRead(path, RatingScale.HalfStars, 2, parallelMinBytes: 0));
    }

    [Fact]
    public void Gives_way_on_another_header()
    {
        string path = Write("ratings.csv", Sample(20), header: "movieId,userId,rating,timestamp");

        Assert.Null(PlainRatingsCsv.TryRead(path, RatingScale.HalfStars));
    }

    [Fact]
    public void The_loader_reads_a_plain_file_and_the_same_ratings_with_quoting_alike()
    {
        Rating[] expected = Sample(2_000);
        string plain = Write("plain.csv", expected);
        string quoted = Path.Combine(_dir.Path, "quoted.csv");
        string[] lines = File.ReadAllLines(plain);
        lines[1] = string.Join(',', lines[1].Split(',').Select(f => $"\"{f}\""));
        File.WriteAllLines(quoted, lines);

        Rating[] fast = MovieLensLoader.LoadRatings(plain, RatingScale.HalfStars);
        Rating[] general = MovieLensLoader.LoadRatings(quoted, RatingScale.HalfStars);

        Assert.Null(PlainRatingsCsv.TryRead(quoted, RatingScale.HalfStars));
        Assert.Equal(general, fast);
    }

    [Fact]
    public void A_bad_row_after_many_good_ones_is_still_reported_with_its_line()
    {
        string path = Write("ratings.csv", Sample(1_000));
        File.AppendAllText(path, "5,6,7.5,100\n");

        var e = Assert.Throws<MovieLensDataException>(() => MovieLensLoader.LoadRatings(path, RatingScale.HalfStars));

        Assert.Contains($"{path}:1002", e.Message, StringComparison.Ordinal);
        Assert.Contains("rating", e.Message, StringComparison.Ordinal);
    }
}
