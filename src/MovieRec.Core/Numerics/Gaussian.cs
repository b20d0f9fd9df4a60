namespace MovieRec.Core.Numerics;

/// <summary>Normal draws from a seeded <see cref="Random"/> (Box-Muller), so factor initialisation is reproducible.</summary>
public static class Gaussian
{
    public static double Next(Random random, double std)
    {
        double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
        return std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
