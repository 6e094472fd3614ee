namespace Outlive;

/// <summary>Whether a child started now by <see cref="Strategy"/> survives each thing that can happen to its parent's unit.</summary>
/// <param name="Strategy">The strategy judged (for a prediction of <see cref="EscapeStrategy.Auto"/>: the one auto picks).</param>
/// <param name="SurvivesStop">Survives <c>systemctl stop</c> of the parent's unit.</param>
/// <param name="SurvivesRestart">Survives <c>systemctl restart</c> of it.</param>
/// <param name="SurvivesCrash">Survives the parent's main process dying (kill -9, a crash).</param>
/// <param name="Reason">Why, in one line.</param>
public sealed record Verdict(EscapeStrategy Strategy, bool SurvivesStop, bool SurvivesRestart, bool SurvivesCrash, string Reason)
{
    public bool SurvivesAll => SurvivesStop && SurvivesRestart && SurvivesCrash;
}
