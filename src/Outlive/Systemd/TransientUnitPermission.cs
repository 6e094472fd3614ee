using Outlive.Systemd;
using Outlive.Systemd.DBus;
using Tmds.DBus.Protocol;

namespace Outlive.Systemd;

/// <summary>Whether a process may create transient units (scope, service) outside its own unit, and how that was decided.</summary>
internal sealed record TransientUnitPermission(bool Allowed, string Why)
{
    const string PolkitService = "org.freedesktop.PolicyKit1";
    const string PolkitPath = "/org/freedesktop/PolicyKit1/Authority";
    const string PolkitInterface = "org.freedesktop.PolicyKit1.Authority";
    public const string ManageUnitsAction = "org.freedesktop.systemd1.manage-units";

    /// <summary>
    /// Root may; a process under a user manager may ask its own manager; anyone else on the system manager
    /// needs polkit's yes for <see cref="ManageUnitsAction"/>, asked without interaction for that very process.
    /// </summary>
    public static async Task<TransientUnitPermission> CheckAsync(int pid, uint uid, ulong startTimeTicks, UnitPlacement? placement, CancellationToken cancellationToken = default)
    {
        if (uid == 0)
            return new(true, "root: the system manager accepts StartTransientUnit from uid 0");
        if (placement?.Manager == ManagerKind.User)
            return new(true, $"in a unit of user {placement.UserId}'s own manager, which takes transient units from its user");
        return await AskPolkitAsync(pid, uid, startTimeTicks, SystemdBus.System(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>CheckAuthorization for a unix-process subject, flags 0 (no interaction: a service has nobody to ask).</summary>
    internal static async Task<TransientUnitPermission> AskPolkitAsync(int pid, uint uid, ulong startTimeTicks, SystemdBus bus, CancellationToken cancellationToken)
    {
        try
        {
            bool authorized = await DBusClient.For(bus).CallAsync("CheckAuthorization", "polkit", static (message, _) =>
            {
                Reader reader = message.GetBodyReader();
                reader.AlignStruct();
                return reader.ReadBool();
            }, connected => CreateCheck(connected.Connection, pid, uid, startTimeTicks), cancellationToken).ConfigureAwait(false);
            return authorized
                ? new(true, $"uid {uid} is not root, and polkit allows {ManageUnitsAction}")
                : new(false, $"uid {uid} is not root, and polkit does not allow {ManageUnitsAction} (a polkit rule could)");
        }
        catch (OutliveException e) when (e.InnerException is DBusErrorReplyException { ErrorName: "org.freedesktop.DBus.Error.ServiceUnknown" or "org.freedesktop.DBus.Error.NameHasNoOwner" })
        {
            return new(false, $"uid {uid} is not root, and polkit is not on the system bus to allow {ManageUnitsAction}");
        }
        catch (OutliveException e)
        {
            return new(false, $"uid {uid} is not root, and polkit could not be asked ({e.Message})");
        }
    }

    static MessageBuffer CreateCheck(DBusConnection connection, int pid, uint uid, ulong startTimeTicks)
    {
        using MessageWriter writer = connection.GetMessageWriter();
        writer.WriteMethodCallHeader(PolkitService, PolkitPath, PolkitInterface, "CheckAuthorization", "(sa{sv})sa{ss}us");
        writer.WriteStructureStart();
        writer.WriteString("unix-process");
        ArrayStart subject = writer.WriteDictionaryStart();
        writer.WriteDictionaryEntryStart();
        writer.WriteString("pid");
        writer.WriteVariantUInt32((uint)pid);
        writer.WriteDictionaryEntryStart();
        writer.WriteString("start-time");
        writer.WriteSignature("t");
        writer.WriteUInt64(startTimeTicks);
        writer.WriteDictionaryEntryStart();
        writer.WriteString("uid");
        writer.WriteSignature("i");
        writer.WriteInt32((int)uid);
        writer.WriteDictionaryEnd(subject);
        writer.WriteString(ManageUnitsAction);
        writer.WriteDictionaryEnd(writer.WriteDictionaryStart());
        writer.WriteUInt32(0);
        writer.WriteString("");
        return writer.CreateMessage();
    }
}
