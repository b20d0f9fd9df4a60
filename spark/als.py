"""Fit Spark MLlib's ALS on ratings exported by MovieRec and save the model for `movierec import spark-als`.

    movierec data export data/ml-25m --parquet /data/ml-25m-parquet
    spark-submit spark/als.py --ratings /data/ml-25m-parquet --model /data/als-model --rank 64 --iterations 10
    movierec import spark-als /data/als-model --out models --data data/ml-25m

The input is MovieRec's Parquet export (userId int, movieId int, rating float, timestamp long). The output is
ALSModel.save's folder: metadata/, userFactors/ and itemFactors/ (part-*.parquet with `id` int and `features`
array<float>), written with Spark's default V1 data pages. Not run in MovieRec's CI (there is no Spark there):
the import side is tested on files written in this exact schema.
"""

import argparse

from pyspark.ml.evaluation import RegressionEvaluator
from pyspark.ml.recommendation import ALS
from pyspark.sql import SparkSession


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ratings", required=True, help="folder (or file) written by `movierec data export --parquet`")
    parser.add_argument("--model", required=True, help="folder to save the ALSModel into (overwritten)")
    parser.add_argument("--rank", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--reg", type=float, default=0.05, help="regParam")
    parser.add_argument("--implicit", action="store_true", help="implicitPrefs: rank by confidence instead of predicting ratings")
    parser.add_argument("--alpha", type=float, default=1.0, help="confidence scale with --implicit")
    parser.add_argument("--holdout", type=float, default=0.1, help="share of ratings held out to print RMSE (0: none)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    spark = SparkSession.builder.appName("movierec-als").getOrCreate()
    # Spark writes V1 data pages by default; say so explicitly, since MovieRec reads V1 (and tested V2 from DuckDB).
    spark.conf.set("spark.hadoop.parquet.writer.version", "v1")
    ratings = spark.read.parquet(args.ratings).select("userId", "movieId", "rating")

    als = ALS(
        rank=args.rank,
        maxIter=args.iterations,
        regParam=args.reg,
        implicitPrefs=args.implicit,
        alpha=args.alpha,
        userCol="userId",
        itemCol="movieId",
        ratingCol="rating",
        coldStartStrategy="drop",
        seed=args.seed,
    )

    if args.holdout > 0 and not args.implicit:
        train, test = ratings.randomSplit([1 - args.holdout, args.holdout], seed=args.seed)
        rmse = RegressionEvaluator(metricName="rmse", labelCol="rating").evaluate(als.fit(train).transform(test))
        print(f"holdout RMSE {rmse:.4f} on {test.count()} ratings")

    model = als.fit(ratings)
    model.write().overwrite().save(args.model)
    print(f"saved ALSModel (rank {args.rank}) to {args.model}: "
          f"{model.userFactors.count()} users, {model.itemFactors.count()} movies")
    spark.stop()


if __name__ == "__main__":
    main()
