using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Outlive.SystemdBed.Matrix;

using Outlive.SystemdBed.Bed;

/// <summary>
/// Runs every cell of the matrix at once in the collection's bed (each cell is its own unit), so the
/// per-cell tests only compare; writes docs/survival-matrix.md from the observations when done.
/// </summary>
public sealed class SurvivalMatrixFixture(SystemdBedFixture bedFixture) : IAsyncLifetime
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);
    private readonly Dictionary<string, CellObservation> _observations = [];

    public TimeSpan RunTime { get; private set; }

    /// <summary>The observation of <paramref name="cell"/>; skips when there is no bed.</summary>
    internal CellObservation Observation(MatrixCell cell)
    {
        _ = bedFixture.Bed; // skips without a bed
        return _observations[cell.UnitName];
    }

    public async ValueTask InitializeAsync()
    {
        if (bedFixture.BedOrNull is not { } bed)
            return;
        var clock = Stopwatch.StartNew();
        MatrixCell[] cells = MatrixCell.All.ToArray();

        await bed.InstallUnitsAsync(cells.ToDictionary(cell => cell.UnitName, UnitFile));
        await bed.RunCheckedAsync(["systemctl", "start", .. cells.Select(cell => cell.UnitName)]);
        CellObservation[] observed = await Task.WhenAll(cells.Select(cell => RunCellAsync(bed, cell)));
        foreach (CellObservation observation in observed)
            _observations[observation.Cell.UnitName] = observation;
        RunTime = clock.Elapsed;
    }

    public ValueTask DisposeAsync()
    {
        if (bedFixture.BedOrNull is { } bed && _observations.Count > 0)
        {
            string path = Path.Combine(RepoLayout.Root, "docs", "survival-matrix.md");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, SurvivalMatrixDoc.Render(bed, _observations.Values.ToArray(), RunTime));
        }
        return ValueTask.CompletedTask;
    }

    private static string UnitFile(MatrixCell cell) => $"""
        [Unit]
        Description=Survival matrix cell {cell.Tag}

        [Service]
        Type=exec
        ExecStart={RepoLayout.ExecTest} --method {cell.Method.Name} --tag {cell.Tag}
        Environment=DOTNET_ROOT={RepoLayout.DotnetRoot}
        KillMode={cell.KillModeValue}
        TimeoutStopSec=15

        """;

    private static async Task<CellObservation> RunCellAsync(SystemdBed bed, MatrixCell cell)
    {
        StartedPair pair = await WaitForStateFileAsync(bed, cell.Tag);

        switch (cell.Action)
        {
            case ParentAction.Stop:
                await bed.RunCheckedAsync("systemctl", "stop", cell.UnitName);
                break;
            case ParentAction.Restart:
                await bed.RunCheckedAsync("systemctl", "restart", cell.UnitName);
                break;
            case ParentAction.KillMain9 or ParentAction.KillMainInt:
                string signal = cell.Action == ParentAction.KillMain9 ? "-KILL" : "-INT";
                await bed.RunCheckedAsync("kill", signal, pair.MainPid.ToString(CultureInfo.InvariantCulture));
                await WaitUntilStoppedAsync(bed, cell.UnitName);
                break;
        }

        string[] journal = (await bed.ReadJournalAsync(cell.UnitName))
            .Where(line => line.Contains("Found left-over process", StringComparison.Ordinal) || line.Contains("Unit uses KillMode=none", StringComparison.Ordinal))
            .Select(line => line.Replace(pair.ChildPid.ToString(CultureInfo.InvariantCulture), "<child pid>", StringComparison.Ordinal)
                .Replace(pair.MainPid.ToString(CultureInfo.InvariantCulture), "<main pid>", StringComparison.Ordinal))
            .ToArray();
        bool childAlive = bed.IsAlive(pair.ChildPid, pair.ChildStartTime);
        return new CellObservation(
            cell,
            pair.MainPid,
            pair.ChildPid,
            childAlive,
            childAlive ? bed.TryReadProcStat(pair.ChildPid)?.ParentPid : null,
            childAlive ? await bed.TryReadUnifiedCgroupAsync(pair.ChildPid) : null,
            bed.IsAlive(pair.MainPid, pair.MainStartTime),
            await bed.ShowPropertyAsync(cell.UnitName, "ActiveState"),
            journal,
            pair.DoctorPredicted?.GetProperty(cell.Action switch
            {
                ParentAction.Stop => "stop",
                ParentAction.Restart => "restart",
                _ => "crash",
            }).GetBoolean());
    }

    /// <summary>A killed main process makes systemd stop the unit on its own; wait until it has.</summary>
    private static async Task WaitUntilStoppedAsync(SystemdBed bed, string unit)
    {
        var deadline = DateTime.UtcNow + StepTimeout;
        string state;
        while ((state = await bed.ShowPropertyAsync(unit, "ActiveState")) is not ("inactive" or "failed"))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{unit} still {state} {StepTimeout} after its main process was killed");
            await Task.Delay(100);
        }
    }

    /// <param name="DoctorPredicted">exectest's in-process <c>Launcher.PredictAsync</c> for its method (none for plain).</param>
    private sealed record StartedPair(int MainPid, ulong MainStartTime, int ChildPid, ulong ChildStartTime, JsonElement? DoctorPredicted);

    private static async Task<StartedPair> WaitForStateFileAsync(SystemdBed bed, string tag)
    {
        var deadline = DateTime.UtcNow + StepTimeout;
        string? text;
        while ((text = bed.TryReadFile($"/run/exectest/{tag}.json")) is null)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"exectest {tag} wrote no state file in {StepTimeout}");
            await Task.Delay(100);
        }
        using var json = JsonDocument.Parse(text);
        JsonElement root = json.RootElement;
        return new StartedPair(
            root.GetProperty("mainPid").GetInt32(),
            root.GetProperty("mainStartTime").GetUInt64(),
            root.GetProperty("childPid").GetInt32(),
            root.GetProperty("childStartTime").GetUInt64(),
            root.TryGetProperty("doctorPredicted", out JsonElement predicted) ? predicted.Clone() : null);
    }
}
