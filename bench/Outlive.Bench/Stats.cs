namespace Outlive.Bench;

/// <summary>Mean, median and p99 (nearest rank) of samples in microseconds.</summary>
internal sealed record Summary(int Count, double Mean, double Median, double P99)
{
    public static Summary Of(IReadOnlyCollection<double> samples)
    {
        if (samples.Count == 0)
            throw new ArgumentException("no samples", nameof(samples));
        double[] sorted = [.. samples.Order()];
        return new Summary(sorted.Length, sorted.Average(), Percentile(sorted, 0.50), Percentile(sorted, 0.99));
    }

    private static double Percentile(double[] sorted, double p)
    {
        if (p == 0.50 && sorted.Length % 2 == 0)
            return (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        int rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
