namespace MovieRec.Core.Data;

/// <summary>The closed interval ratings must lie in.</summary>
public readonly record struct RatingScale(float Min, float Max)
{
    /// <summary>ml-latest, ml-20m/25m/32m and ml-10m: half stars from 0.5 to 5.</summary>
    public static readonly RatingScale HalfStars = new(0.5f, 5f);

    /// <summary>ml-100k and ml-1m: whole stars from 1 to 5.</summary>
    public static readonly RatingScale WholeStars = new(1f, 5f);

    public bool Contains(float value) => value >= Min && value <= Max;

    public float Clip(float value) => Math.Clamp(value, Min, Max);

    public override string ToString() => FormattableString.Invariant($"{Min:0.0#}..{Max:0.0#}");
}
