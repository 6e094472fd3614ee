namespace Outlive.Interop;

internal static partial class Libc
{
    /// <summary>
    /// pthread_create, looked up at run time: glibc has it in libc.so.6 only from 2.34 (in libpthread before), and
    /// Outlive's own link-time imports stay at 2.28. Null where it is not found.
    /// </summary>
    internal static unsafe delegate* unmanaged<nuint*, void*, delegate* unmanaged<nint, nint>, nint, int> pthread_create =>
        (delegate* unmanaged<nuint*, void*, delegate* unmanaged<nint, nint>, nint, int>)OptionalExports.PthreadCreate;

    internal static unsafe delegate* unmanaged<nuint, int> pthread_detach =>
        (delegate* unmanaged<nuint, int>)OptionalExports.PthreadDetach;
}
