namespace MovieRec.Core.Data;

/// <summary>One rating as read from a MovieLens file (raw ids). Timestamp is Unix seconds, 0 when absent.</summary>
public readonly record struct Rating(int UserId, int MovieId, float Value, long Timestamp);
