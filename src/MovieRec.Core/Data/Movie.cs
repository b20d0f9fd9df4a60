namespace MovieRec.Core.Data;

/// <summary>A catalogue entry. <see cref="Title"/> is the text of the file; <see cref="Year"/> is parsed from it.</summary>
public sealed record Movie(int MovieId, string Title, int? Year, IReadOnlyList<string> Genres);

/// <summary>A free-text tag a user put on a movie.</summary>
public sealed record Tag(int UserId, int MovieId, string Text, long Timestamp);

/// <summary>External ids of a movie (links.csv).</summary>
public sealed record MovieLink(int MovieId, string ImdbId, int? TmdbId);
