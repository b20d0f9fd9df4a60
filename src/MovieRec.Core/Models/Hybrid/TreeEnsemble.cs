using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;

namespace MovieRec.Core.Models.Hybrid;

/// <summary>
/// A gradient-boosted regression tree ensemble trained by Microsoft.ML's FastTree and then held as plain arrays, so
/// scoring is thread-safe, allocation-free and serialisable with the rest of the model.
/// </summary>
internal sealed class TreeEnsemble
{
    private readonly double _bias;
    private readonly double[] _treeWeights;
    private readonly int[][] _left;
    private readonly int[][] _right;
    private readonly int[][] _feature;
    private readonly float[][] _threshold;
    private readonly double[][] _leaf;

    private TreeEnsemble(double bias, double[] treeWeights, int[][] left, int[][] right, int[][] feature, float[][] threshold, double[][] leaf)
    {
        _bias = bias;
        _treeWeights = treeWeights;
        _left = left;
        _right = right;
        _feature = feature;
        _threshold = threshold;
        _leaf = leaf;
    }

    public int Trees => _treeWeights.Length;

    public static TreeEnsemble Fit(double[][] x, double[] y, int seed, int trees = 100, int leaves = 16, int minLeaf = 50, double learningRate = 0.1)
    {
        int d = x[0].Length;
        var ml = new MLContext(seed);
        SchemaDefinition schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, d);
        IDataView data = ml.Data.LoadFromEnumerable(
            x.Select((r, n) => new Row { Features = [.. r.Select(v => (float)v)], Label = (float)y[n] }), schema);
        var trainer = ml.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options
        {
            NumberOfTrees = trees,
            NumberOfLeaves = leaves,
            MinimumExampleCountPerLeaf = minLeaf,
            LearningRate = learningRate,
            NumberOfThreads = 1,
            Seed = seed,
        });
        return From(trainer.Fit(data).Model.TrainedTreeEnsemble);
    }

    /// <summary>
    /// LambdaMART (Microsoft.ML's FastTree ranking trainer, NDCG truncated at <paramref name="ndcgAt"/>): rows of one
    /// group (a user's candidates) are contiguous, <paramref name="groups"/> gives each row's group, labels are graded
    /// relevance 0, 1, ... One thread, so the ensemble is the same for a seed.
    /// </summary>
    public static TreeEnsemble FitRanking(double[][] x, float[] labels, uint[] groups, int seed, int trees, int leaves, int minLeaf, double learningRate, int ndcgAt)
    {
        int d = x[0].Length;
        var ml = new MLContext(seed);
        SchemaDefinition schema = SchemaDefinition.Create(typeof(RankRow));
        schema[nameof(RankRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, d);
        IDataView data = ml.Data.LoadFromEnumerable(
            x.Select((r, n) => new RankRow { Features = [.. r.Select(v => (float)v)], Label = labels[n], Group = groups[n] }), schema);
        var trainer = ml.Ranking.Trainers.FastTree(new FastTreeRankingTrainer.Options
        {
            LabelColumnName = nameof(RankRow.Label),
            RowGroupColumnName = "GroupKey",
            NumberOfTrees = trees,
            NumberOfLeaves = leaves,
            MinimumExampleCountPerLeaf = minLeaf,
            LearningRate = learningRate,
            NdcgTruncationLevel = ndcgAt,
            NumberOfThreads = 1,
            Seed = seed,
        });
        var pipeline = ml.Transforms.Conversion.MapValueToKey("GroupKey", nameof(RankRow.Group)).Append(trainer);
        return From(pipeline.Fit(data).LastTransformer.Model.TrainedTreeEnsemble);
    }

    /// <summary>The largest feature index any split reads (-1 without splits).</summary>
    public int MaxFeature => _feature.Length == 0 ? -1 : _feature.Max(f => f.Length == 0 ? -1 : f.Max());

    private static TreeEnsemble From(RegressionTreeEnsemble ensemble)
    {
        IReadOnlyList<RegressionTree> t = ensemble.Trees;
        return new TreeEnsemble(
            ensemble.Bias,
            [.. ensemble.TreeWeights],
            [.. t.Select(tree => tree.LeftChild.ToArray())],
            [.. t.Select(tree => tree.RightChild.ToArray())],
            [.. t.Select(tree => tree.NumericalSplitFeatureIndexes.ToArray())],
            [.. t.Select(tree => tree.NumericalSplitThresholds.ToArray())],
            [.. t.Select(tree => tree.LeafValues.ToArray())]);
    }

    /// <summary>The ensemble's output: bias plus the weighted leaf value each tree routes the features to.</summary>
    public double Evaluate(ReadOnlySpan<double> x)
    {
        double sum = _bias;
        for (int t = 0; t < _leaf.Length; t++)
        {
            int node = 0;
            if (_left[t].Length > 0)
            {
                while (node >= 0)
                {
                    node = (float)x[_feature[t][node]] <= _threshold[t][node] ? _left[t][node] : _right[t][node];
                }

                node = ~node;
            }

            sum += _treeWeights[t] * _leaf[t][node];
        }

        return sum;
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(_bias);
        ModelBinary.WriteArray<double>(writer, _treeWeights);
        for (int t = 0; t < _treeWeights.Length; t++)
        {
            ModelBinary.WriteArray<int>(writer, _left[t]);
            ModelBinary.WriteArray<int>(writer, _right[t]);
            ModelBinary.WriteArray<int>(writer, _feature[t]);
            ModelBinary.WriteArray<float>(writer, _threshold[t]);
            ModelBinary.WriteArray<double>(writer, _leaf[t]);
        }
    }

    public static TreeEnsemble Read(BinaryReader reader)
    {
        double bias = reader.ReadDouble();
        double[] weights = ModelBinary.ReadArray<double>(reader);
        int n = weights.Length;
        int[][] left = new int[n][], right = new int[n][], feature = new int[n][];
        float[][] threshold = new float[n][];
        double[][] leaf = new double[n][];
        for (int t = 0; t < n; t++)
        {
            left[t] = ModelBinary.ReadInts(reader);
            right[t] = ModelBinary.ReadInts(reader);
            feature[t] = ModelBinary.ReadInts(reader);
            threshold[t] = ModelBinary.ReadFloats(reader);
            leaf[t] = ModelBinary.ReadArray<double>(reader);
            if (right[t].Length != left[t].Length || feature[t].Length != left[t].Length || threshold[t].Length != left[t].Length || leaf[t].Length != left[t].Length + 1
                || feature[t].Any(f => f < 0) || left[t].Any(c => c >= left[t].Length || ~c > left[t].Length) || right[t].Any(c => c >= left[t].Length || ~c > left[t].Length))
            {
                throw new InvalidDataException("A blender tree's arrays do not fit together: the file is damaged.");
            }
        }

        return new TreeEnsemble(bias, weights, left, right, feature, threshold, leaf);
    }

    private sealed class RankRow
    {
        public float[] Features { get; set; } = [];

        public float Label { get; set; }

        public uint Group { get; set; }
    }

    private sealed class Row
    {
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }
}
