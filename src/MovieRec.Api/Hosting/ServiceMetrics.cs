using System.Collections.Concurrent;
using Prometheus;

namespace MovieRec.Api.Hosting;

/// <summary>
/// The service's Prometheus collectors, in a registry of its own (one per host, so test hosts in one process do not mix).
/// Request series are created once per (endpoint, method, model, status) and then reused, so counting a request is a
/// dictionary lookup with a struct key and two lock-free updates. Values other parts keep anyway (the cache counters,
/// the bundle, live feedback) are read when Prometheus scrapes, not on every request.
/// </summary>
public sealed class ServiceMetrics
{
    /// <summary>Latency buckets in seconds: sub-millisecond cache hits up to slow visitor fold-ins.</summary>
    internal static readonly double[] LatencyBuckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly double[] RetrainBuckets = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];

    private readonly ConcurrentDictionary<RequestSeriesKey, RequestSeries> _series = new();
    private readonly Counter _requests;
    private readonly Histogram _duration;
    private readonly Counter _cache;
    private readonly Gauge _cachedLists;
    private readonly Gauge _bundleInfo;
    private readonly Gauge _bundleAge;
    private readonly Gauge _bundleModels;
    private readonly Counter.Child _ratingsAccepted;
    private readonly Counter.Child _ratingsRejected;
    private readonly Counter _deletes;
    private readonly Counter _events;
    private readonly Gauge _liveRatings;
    private readonly Counter _retrainsStarted;
    private readonly Counter _retrainsFinished;
    private readonly Histogram _retrainDuration;
    private readonly Counter.Child _cacheHits;
    private readonly Counter.Child _cacheMisses;
    private readonly Lock _collectGate = new();
    private readonly Gauge _retrainRunning;
    private readonly ModelHost _host;
    private readonly LiveFeedback _feedback;
    private readonly TimeProvider _time;
    private string? _shownBundle;

    public ServiceMetrics(ModelHost host, LiveFeedback feedback, TimeProvider time)
    {
        _host = host;
        _feedback = feedback;
        _time = time;
        Registry = Metrics.NewCustomRegistry();
        IMetricFactory factory = Metrics.WithCustomRegistry(Registry);
        // Exemplars would read Activity.Current on every observation; traces are found by time and route instead.
        factory.ExemplarBehavior = new ExemplarBehavior { DefaultExemplarProvider = null };
        DotNetStats.Register(Registry);

        _requests = factory.CreateCounter("movierec_http_requests_total",
            "HTTP requests answered, by route template, method, answering model (empty where none) and status code.",
            ["endpoint", "method", "model", "code"]);
        _duration = factory.CreateHistogram("movierec_http_request_duration_seconds",
            "Time from the request reaching the service to the end of its response, by route template, method and answering model.",
            ["endpoint", "method", "model"], new HistogramConfiguration { Buckets = LatencyBuckets });
        _cache = factory.CreateCounter("movierec_recommendation_cache_lookups_total",
            "Lookups of the per-user recommendation cache (GET /recommend/user), by result: hit or miss. Hit ratio = hit / (hit + miss).",
            ["result"]);
        _cachedLists = factory.CreateGauge("movierec_recommendation_cache_entries", "Recommendation lists cached for the bundle being served.");
        _bundleInfo = factory.CreateGauge("movierec_bundle_info", "1 for the bundle being served (its id as a label); absent before the first load.", ["bundle_id"]);
        _bundleAge = factory.CreateGauge("movierec_bundle_age_seconds", "Seconds since the served bundle was trained (its manifest's createdAt).", ["bundle_id"]);
        _bundleModels = factory.CreateGauge("movierec_bundle_models", "Models in the served bundle.", ["bundle_id"]);
        Counter ratings = factory.CreateCounter("movierec_feedback_ratings_total",
            "Live ratings sent to POST /users/{userId}/ratings and POST /ratings/batch, by result: accepted (stored) or rejected (a 4xx answer; a rejected batch counts all its rows).",
            ["result"]);
        _deletes = factory.CreateCounter("movierec_feedback_rating_deletes_total", "Ratings removed through DELETE /users/{userId}/ratings/{movieId}.");
        _events = factory.CreateCounter("movierec_feedback_events_total", "Interaction events stored through POST /events.");
        _liveRatings = factory.CreateGauge("movierec_feedback_live_ratings", "Live ratings (not tombstones) this replica holds.");
        _retrainsStarted = factory.CreateCounter("movierec_retrains_started_total", "Background retrains started (threshold, interval or POST /admin/retrain).");
        _retrainsFinished = factory.CreateCounter("movierec_retrains_finished_total", "Background retrains finished, by result: succeeded or failed.", ["result"]);
        _retrainDuration = factory.CreateHistogram("movierec_retrain_duration_seconds", "Duration of finished retrains (training, publishing and the swap).",
            ["result"], new HistogramConfiguration { Buckets = RetrainBuckets });
        _retrainRunning = factory.CreateGauge("movierec_retrain_running", "1 while a retrain runs.");
        _cacheHits = _cache.WithLabels("hit");
        _cacheMisses = _cache.WithLabels("miss");
        _cacheHits.Publish();
        _cacheMisses.Publish();
        _ratingsAccepted = ratings.WithLabels("accepted");
        _ratingsRejected = ratings.WithLabels("rejected");
        _ratingsAccepted.Publish();
        _ratingsRejected.Publish();
        _retrainsFinished.WithLabels("succeeded").Publish();
        _retrainsFinished.WithLabels("failed").Publish();
        Registry.AddBeforeCollectCallback(BeforeCollect);
    }

    /// <summary>The registry <c>/metrics</c> serves.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Counts one answered request (called by the request metrics middleware once the response is complete).</summary>
    internal void ObserveRequest(Endpoint? endpoint, string method, string model, int status, double seconds)
    {
        var key = new RequestSeriesKey(endpoint, method, model, status);
        if (!_series.TryGetValue(key, out RequestSeries? series))
        {
            series = _series.GetOrAdd(key, NewSeries);
        }

        series.Count.Inc();
        series.Duration.Observe(seconds);
    }

    public void RatingsAccepted(int count) => _ratingsAccepted.Inc(count);

    public void RatingsRejected(int count) => _ratingsRejected.Inc(count);

    public void RatingDeleted() => _deletes.Inc();

    public void EventStored() => _events.Inc();

    public void RetrainStarted()
    {
        _retrainsStarted.Inc();
        _retrainRunning.Set(1);
    }

    public void RetrainFinished(bool succeeded, double seconds)
    {
        string result = succeeded ? "succeeded" : "failed";
        _retrainsFinished.WithLabels(result).Inc();
        _retrainDuration.WithLabels(result).Observe(seconds);
        _retrainRunning.Set(0);
    }

    /// <summary>The route template (never the raw path, so label values stay few), or "unmatched".</summary>
    internal static string EndpointLabel(Endpoint? endpoint) =>
        endpoint is RouteEndpoint route ? route.RoutePattern.RawText ?? route.DisplayName ?? "unnamed"
        : endpoint?.DisplayName ?? "unmatched";

    private RequestSeries NewSeries(RequestSeriesKey key)
    {
        string endpoint = EndpointLabel(key.Endpoint);
        string code = key.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new RequestSeries(_requests.WithLabels(endpoint, key.Method, key.Model, code), _duration.WithLabels(endpoint, key.Method, key.Model));
    }

    private void BeforeCollect()
    {
        lock (_collectGate)
        {
            Collect();
        }
    }

    private void Collect()
    {
        RecommendationCacheCounters counters = _host.CacheCounters;
        _cacheHits.IncTo(counters.Hits);
        _cacheMisses.IncTo(counters.Misses);
        _liveRatings.Set(_feedback.LiveRatingCount);
        ServedBundle? bundle = _host.Current;
        _cachedLists.Set(bundle?.CachedLists ?? 0);
        if (bundle?.Id != _shownBundle && _shownBundle is not null)
        {
            // One series per bundle id: the replaced bundle's go away with it.
            _bundleInfo.WithLabels(_shownBundle).Remove();
            _bundleAge.WithLabels(_shownBundle).Remove();
            _bundleModels.WithLabels(_shownBundle).Remove();
        }

        _shownBundle = bundle?.Id;
        if (bundle is not null)
        {
            _bundleInfo.WithLabels(bundle.Id).Set(1);
            _bundleAge.WithLabels(bundle.Id).Set(Math.Max(0, (_time.GetUtcNow() - bundle.Bundle.Manifest.CreatedAt).TotalSeconds));
            _bundleModels.WithLabels(bundle.Id).Set(bundle.ModelNames.Count);
        }
    }

    private readonly record struct RequestSeriesKey(Endpoint? Endpoint, string Method, string Model, int Status);

    private sealed record RequestSeries(Counter.Child Count, Histogram.Child Duration);
}

/// <summary>Hits and misses of the recommendation cache, over every bundle this host has served (lock-free increments).</summary>
public sealed class RecommendationCacheCounters
{
    private long _hits;
    private long _misses;

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    public void Hit() => Interlocked.Increment(ref _hits);

    public void Miss() => Interlocked.Increment(ref _misses);
}
