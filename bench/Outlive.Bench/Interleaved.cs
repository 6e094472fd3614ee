namespace Outlive.Bench;

/// <summary>A case measured in batches: <see cref="MeasureBatch"/> runs n operations and returns their samples in µs.</summary>
internal sealed record BenchCase(string Name, Func<int, IReadOnlyList<double>> MeasureBatch);

internal static class Interleaved
{
    /// <summary>
    /// Runs every case in rounds (A B C, B C A, C A B, …) so that noise from other work on the machine
    /// falls on all cases alike and their ratios stay fair. One warm-up batch per case is discarded.
    /// </summary>
    public static List<CaseResult> Run(IReadOnlyList<BenchCase> cases, int rounds, int batchSize, int warmupSize)
    {
        var samples = cases.ToDictionary(c => c.Name, _ => new List<double>());
        foreach (BenchCase c in cases)
            c.MeasureBatch(warmupSize);
        for (int round = 0; round < rounds; round++)
        {
            for (int i = 0; i < cases.Count; i++)
            {
                BenchCase c = cases[(i + round) % cases.Count];
                samples[c.Name].AddRange(c.MeasureBatch(batchSize));
            }
            Console.Error.Write('.');
        }
        return [.. cases.Select(c => new CaseResult(c.Name, Summary.Of(samples[c.Name])))];
    }
}
