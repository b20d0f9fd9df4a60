using MovieRec.Core.Data;

namespace MovieRec.Core.Models;

/// <summary>
/// The baseline estimate b_ui = mu + b_u + b_i. Every model keeps one to answer for unknown users and movies;
/// BaselineOnly is nothing else.
/// </summary>
public sealed class BiasBaseline
{
    public BiasBaseline(double globalMean, float[] userBias, float[] itemBias)
    {
        GlobalMean = globalMean;
        UserBias = userBias;
        ItemBias = itemBias;
    }

    public double GlobalMean { get; }

    public float[] UserBias { get; }

    public float[] ItemBias { get; }

    /// <summary>The baseline for dense indices; -1 stands for an unknown user or item and drops that bias.</summary>
    public float Estimate(int u, int i) =>
        (float)GlobalMean + (u >= 0 ? UserBias[u] : 0f) + (i >= 0 ? ItemBias[i] : 0f);

    /// <summary>
    /// Alternating least squares, as Surprise's BaselineOnly: each epoch sets every b_i, then every b_u, to its
    /// regularised least-squares value given the other (Surprise's order: items first).
    /// </summary>
    public static BiasBaseline FitAls(RatingMatrix train, double regUser, double regItem, int epochs)
    {
        float mu = (float)train.GlobalMean;
        float[] bu = new float[train.UserCount];
        float[] bi = new float[train.ItemCount];
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            for (int i = 0; i < train.ItemCount; i++)
            {
                ReadOnlySpan<int> users = train.UsersOf(i);
                ReadOnlySpan<float> values = train.RatingsOfItem(i);
                double dev = 0;
                for (int p = 0; p < users.Length; p++)
                {
                    dev += values[p] - mu - bu[users[p]];
                }

                bi[i] = (float)(dev / (regItem + users.Length));
            }

            for (int u = 0; u < train.UserCount; u++)
            {
                ReadOnlySpan<int> items = train.ItemsOf(u);
                ReadOnlySpan<float> values = train.RatingsOf(u);
                double dev = 0;
                for (int p = 0; p < items.Length; p++)
                {
                    dev += values[p] - mu - bi[items[p]];
                }

                bu[u] = (float)(dev / (regUser + items.Length));
            }
        }

        return new BiasBaseline(train.GlobalMean, bu, bi);
    }

    /// <summary>Stochastic gradient descent over the ratings in user-major order, as Surprise's SGD baselines.</summary>
    public static BiasBaseline FitSgd(RatingMatrix train, double learningRate, double regularization, int epochs)
    {
        float mu = (float)train.GlobalMean;
        float lr = (float)learningRate, reg = (float)regularization;
        float[] bu = new float[train.UserCount];
        float[] bi = new float[train.ItemCount];
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            for (int u = 0; u < train.UserCount; u++)
            {
                ReadOnlySpan<int> items = train.ItemsOf(u);
                ReadOnlySpan<float> values = train.RatingsOf(u);
                for (int p = 0; p < items.Length; p++)
                {
                    int i = items[p];
                    float err = values[p] - (mu + bu[u] + bi[i]);
                    bu[u] += lr * (err - (reg * bu[u]));
                    bi[i] += lr * (err - (reg * bi[i]));
                }
            }
        }

        return new BiasBaseline(train.GlobalMean, bu, bi);
    }

    /// <summary>The fallback every model uses unless it has a better one: Surprise's default ALS baselines.</summary>
    public static BiasBaseline Default(RatingMatrix train) => FitAls(train, 15, 10, 10);
}
