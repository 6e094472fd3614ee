namespace Outlive;

/// <summary>Whether a child started now by <see cref="Strategy"/> survives each thing that can happen to its parent.</summary>
/// <param name="Strategy">The strategy judged (for a prediction of <see cref="EscapeStrategy.Auto"/>: the one auto picks).</param>
/// <param name="SurvivesStop">Survives <c>systemctl stop</c> of the parent's unit.</param>
/// <param name="SurvivesRestart">Survives <c>systemctl restart</c> of it.</param>
/// <param name="SurvivesCrash">Survives the parent's main process dying (kill -9, a crash).</param>
/// <param name="Reason">Why, in one line.</param>
public sealed record Verdict(EscapeStrategy Strategy, bool SurvivesStop, bool SurvivesRestart, bool SurvivesCrash, string Reason)
{
    /// <summary>
    /// Survives the parent's user logging out (their last session ending): logind may kill a session's processes, and
    /// a user's manager stops then unless the user lingers. True where logout does not matter (a system service).
    /// </summary>
    public bool SurvivesLogout { get; init; } = true;

    /// <summary>Survives all four.</summary>
    public bool SurvivesAll => SurvivesStop && SurvivesRestart && SurvivesCrash && SurvivesLogout;
}
