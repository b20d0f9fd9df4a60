namespace MovieRec.Core.Data;

/// <summary>The MovieLens file layouts MovieRec reads.</summary>
public enum MovieLensFormat
{
    /// <summary>ml-latest, ml-latest-small, ml-20m, ml-25m, ml-32m: ratings.csv, movies.csv, tags.csv, links.csv.</summary>
    Csv,

    /// <summary>ml-100k: tab-separated u.data, '|'-separated u.item (Latin-1) and u.genre.</summary>
    Ml100k,

    /// <summary>ml-1m and ml-10m: ratings.dat, movies.dat, tags.dat with '::' separators.</summary>
    Dat,
}
