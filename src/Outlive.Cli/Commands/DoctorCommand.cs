using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Outlive.Diagnosis;
using Outlive.Systemd;
using Outlive.Systemd.DBus;

namespace Outlive.Cli.Commands;

/// <summary><c>outlive doctor [--pid PID | --unit UNIT [--user]] [--json]</c>: would a child of this process survive?</summary>
internal static class DoctorCommand
{
    internal static Command Create()
    {
        var pid = new Option<int?>("--pid") { Description = "Examine this process (default: outlive itself, i.e. the caller's place)." };
        var unit = new Option<string?>("--unit") { Description = "Examine this unit through its main process." };
        var user = new Option<bool>("--user") { Description = "With --unit: the unit is the calling user's manager's." };
        var json = new Option<bool>("--json") { Description = "Print the report as one JSON object." };
        var doctor = new Command("doctor",
            "Explain whether a child started from a process would outlive it (stop, restart, crash, logout), and the fix. " +
            "Exit 0: it would, with the recommended strategy; 1: it would not.")
        {
            pid, unit, user, json,
        };
        doctor.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(pid) is not null && parse.GetValue(unit) is not null)
                throw new UsageException("doctor takes --pid or --unit, not both");
            if (parse.GetValue(user) && parse.GetValue(unit) is null)
                throw new UsageException("--user goes with --unit: doctor --unit UNIT --user");
            DoctorReport report = parse.GetValue(unit) is { } name
                ? await Doctor.ExamineUnitAsync(name, parse.GetValue(user) ? ManagerKind.User : ManagerKind.System, cancellationToken)
                : await Doctor.ExamineAsync(parse.GetValue(pid) ?? Environment.ProcessId, cancellationToken);
            if (parse.GetValue(json))
                WriteJson(report);
            else
                Console.Write(Render(report));
            return report.ChildWouldSurvive ? ExitCodes.Ok : ExitCodes.No;
        });
        return doctor;
    }

    internal static string Render(DoctorReport r)
    {
        var o = new StringWriter(CultureInfo.InvariantCulture);
        o.WriteLine($"process      {r.Pid} {r.Command} (uid {r.Uid})");
        o.WriteLine($"systemd      {(r.SystemdBooted ? $"init; {Manager(r)} manager {r.ManagerVersion ?? "(did not answer)"}" : "not the init here")}");
        if (r.ManagerProblem is not null)
            o.WriteLine($"             {r.ManagerProblem}");
        foreach (string lack in r.ManagerVersion is null ? [] : SystemdFeatures.Of(r.ManagerVersion).Missing)
            o.WriteLine($"             lacks {lack}");
        if (r.Placement is { } placement)
            o.WriteLine($"cgroup       {placement.CgroupPath}");
        o.WriteLine($"unit         {r.Unit ?? "none that systemd stops"}");
        if (r.Status is { } s)
        {
            o.WriteLine($"             KillMode={s.KillMode?.ToSystemdString() ?? "?"} SendSIGKILL={YesNo(s.SendSigkill)} User={s.User ?? "(root)"} Delegate={YesNo(s.Delegate)} MainPID={s.MainPid?.ToString(CultureInfo.InvariantCulture) ?? "-"}");
        }
        Residence home = r.Home;
        if (home.Kind == ResidenceKind.Session)
        {
            LoginSession? session = home.Session;
            o.WriteLine($"session      {Logind.SessionIdOf(home.Unit)} of {home.UserName}{(session is null ? " (logind did not answer)" : $", class {session.Class}, type {session.Type}, {session.State}")}");
            o.WriteLine($"             at logout logind {(home.SessionKilledAtLogout ? "kills" : "abandons")} it ({home.LogoutPolicy?.Explain(home.UserName) ?? "policy unknown: counted as kill"})");
        }
        if (home.Uid != 0 && home.Kind is not (ResidenceKind.NoSystemd or ResidenceKind.NoUnit))
            o.WriteLine($"user         {home.UserName}: linger {YesNo(home.Lingers)}, manager {(home.UserManagerReachable ? "running" : "not running")}");
        o.WriteLine($"transient    {(home.SystemManagerAllows == true ? "may create units" : "may not create units")} on the system manager: {home.PermissionWhy}");
        o.WriteLine();
        o.WriteLine("verdicts     stop     restart  crash    logout");
        foreach (Verdict v in r.Verdicts)
            o.WriteLine($"  {Word(v.Strategy),-10} {Fate(v.SurvivesStop),-8} {Fate(v.SurvivesRestart),-8} {Fate(v.SurvivesCrash),-8} {Fate(v.SurvivesLogout),-8} {v.Reason}");
        o.WriteLine(r.Auto.Strategy == EscapeStrategy.Auto ? $"  auto refuses: {r.Auto.Reason}" : $"  auto picks {Word(r.Auto.Strategy)}");
        o.WriteLine();
        o.WriteLine("hazards");
        if (r.Hazards.Count == 0)
            o.WriteLine("  none found");
        foreach (Hazard h in r.Hazards)
            o.WriteLine($"  {h.Id}: {h.Finding}\n    fix: {h.Advice}");
        if (r.OrphanReaper is { } reaper)
            o.WriteLine($"  orphans of this process go to pid {reaper.Pid} ({reaper.Command})");
        o.WriteLine();
        o.WriteLine("recommended");
        o.WriteLine($"  {r.Recommended.Command}");
        o.WriteLine($"  why: {r.Recommended.Reason}");
        if (r.UnitFixCommand is { } fix && !r.Recommended.Command.StartsWith(fix, StringComparison.Ordinal))
            o.WriteLine($"  or:  {fix}   (KillMode=process drop-in; children then stay in {r.Unit}'s cgroup)");
        if (r.PolkitRule is { } rule)
        {
            o.WriteLine($"  or:  a polkit rule ({rule.Caveat}):");
            foreach (string line in rule.Text.Split('\n'))
                o.WriteLine($"       {line}");
        }
        o.WriteLine();
        o.WriteLine($"child would survive: {(r.ChildWouldSurvive ? "yes" : "no")}");
        return Printable.Lines(o.ToString());
    }

    private static void WriteJson(DoctorReport r)
    {
        using var w = new Utf8JsonWriter(Console.OpenStandardOutput());
        w.WriteStartObject();
        w.WriteNumber("pid", r.Pid);
        w.WriteString("command", r.Command);
        w.WriteNumber("uid", r.Uid);
        w.WriteBoolean("systemdBooted", r.SystemdBooted);
        w.WriteString("manager", r.Placement is null ? null : Manager(r));
        w.WriteString("managerVersion", r.ManagerVersion);
        w.WriteString("managerProblem", r.ManagerProblem);
        w.WriteStartArray("managerLacks");
        foreach (string lack in r.ManagerVersion is null ? [] : SystemdFeatures.Of(r.ManagerVersion).Missing)
            w.WriteStringValue(lack);
        w.WriteEndArray();
        w.WriteString("cgroup", r.Placement?.CgroupPath);
        w.WriteString("unit", r.Unit);
        w.WriteString("killMode", r.Status?.KillMode?.ToSystemdString());
        WriteBool(w, "sendSigkill", r.Status?.SendSigkill);
        w.WriteString("user", r.Status?.User);
        WriteBool(w, "delegate", r.Status?.Delegate);
        if (r.Status?.MainPid is { } mainPid)
            w.WriteNumber("mainPid", mainPid);
        w.WriteString("residence", r.Home.Kind switch
        {
            ResidenceKind.NoSystemd => "no-systemd",
            ResidenceKind.NoUnit => "no-unit",
            ResidenceKind.SystemUnit => "system-unit",
            ResidenceKind.UserUnit => "user-unit",
            _ => "session",
        });
        if (r.Home.Kind == ResidenceKind.Session)
        {
            w.WriteStartObject("session");
            w.WriteString("id", Logind.SessionIdOf(r.Home.Unit));
            w.WriteString("class", r.Home.Session?.Class);
            w.WriteString("type", r.Home.Session?.Type);
            w.WriteString("state", r.Home.Session?.State);
            w.WriteBoolean("killedAtLogout", r.Home.SessionKilledAtLogout);
            w.WriteString("logoutRule", r.Home.LogoutPolicy?.Explain(r.Home.UserName));
            w.WriteEndObject();
        }
        w.WriteString("userName", r.Home.UserName);
        WriteBool(w, "lingers", r.Home.Lingers);
        w.WriteBoolean("userManagerRunning", r.Home.UserManagerReachable);
        w.WriteBoolean("canCreateTransientUnits", r.Home.SystemManagerAllows == true);
        w.WriteString("transientUnitsReason", r.Home.PermissionWhy);
        w.WriteStartObject("verdicts");
        foreach (Verdict v in r.Verdicts)
            WriteVerdict(w, Word(v.Strategy), v);
        w.WriteEndObject();
        w.WriteString("auto", r.Auto.Strategy == EscapeStrategy.Auto ? "refuses" : Word(r.Auto.Strategy));
        WriteVerdict(w, "autoVerdict", r.Auto);
        w.WriteStartArray("hazards");
        foreach (Hazard h in r.Hazards)
        {
            w.WriteStartObject();
            w.WriteString("id", h.Id);
            w.WriteString("finding", h.Finding);
            w.WriteString("advice", h.Advice);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (r.OrphanReaper is { } reaper)
        {
            w.WriteStartObject("orphanReaper");
            w.WriteNumber("pid", reaper.Pid);
            w.WriteString("command", reaper.Command);
            w.WriteEndObject();
        }
        w.WriteStartObject("recommended");
        w.WriteString("strategy", Word(r.Recommended.Strategy));
        w.WriteString("command", r.Recommended.Command);
        w.WriteString("reason", r.Recommended.Reason);
        w.WriteEndObject();
        w.WriteString("unitFix", r.UnitFixCommand);
        w.WriteString("polkitRule", r.PolkitRule?.Text);
        w.WriteBoolean("childWouldSurvive", r.ChildWouldSurvive);
        w.WriteEndObject();
        w.Flush();
        Console.Out.WriteLine();
    }

    private static void WriteVerdict(Utf8JsonWriter w, string name, Verdict v)
    {
        w.WriteStartObject(name);
        w.WriteBoolean("survivesStop", v.SurvivesStop);
        w.WriteBoolean("survivesRestart", v.SurvivesRestart);
        w.WriteBoolean("survivesCrash", v.SurvivesCrash);
        w.WriteBoolean("survivesLogout", v.SurvivesLogout);
        w.WriteString("reason", v.Reason);
        w.WriteEndObject();
    }

    private static void WriteBool(Utf8JsonWriter w, string name, bool? value)
    {
        if (value is { } b)
            w.WriteBoolean(name, b);
        else
            w.WriteNull(name);
    }

    private static string Manager(DoctorReport r) => r.Placement?.Manager == ManagerKind.User ? $"user ({r.Placement.UserId})" : "system";

    private static string YesNo(bool? value) => value switch { true => "yes", false => "no", null => "?" };

    private static string Fate(bool survives) => survives ? "survives" : "dies";

    private static string Word(EscapeStrategy strategy) => Words.Of(strategy);
}
