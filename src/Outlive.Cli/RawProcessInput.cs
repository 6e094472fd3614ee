namespace Outlive.Cli;

/// <summary>
/// This process's own argv and environment as the kernel passed them (<c>/proc/self/cmdline</c>, <c>/proc/self/environ</c>):
/// .NET decodes both as UTF-8 and turns bytes that are not into U+FFFD, but `outlive run` hands them on untouched.
/// </summary>
internal static class RawProcessInput
{
    /// <summary>The last <paramref name="count"/> arguments as bytes, when they are the ones .NET decoded as <paramref name="decoded"/>; else null.</summary>
    internal static byte[][]? LastArguments(IReadOnlyList<string> decoded)
    {
        byte[][] all = Split(File.ReadAllBytes("/proc/self/cmdline"));
        if (all.Length < decoded.Count)
            return null;
        byte[][] last = all[^decoded.Count..];
        for (int i = 0; i < last.Length; i++)
        {
            if (System.Text.Encoding.UTF8.GetString(last[i]) != decoded[i])
                return null;
        }
        return last;
    }

    /// <summary>The environment this process was started with, entry by entry.</summary>
    internal static byte[][] Environment() => Split(File.ReadAllBytes("/proc/self/environ"));

    private static byte[][] Split(byte[] block)
    {
        var parts = new List<byte[]>();
        int start = 0;
        for (int i = 0; i < block.Length; i++)
        {
            if (block[i] != 0)
                continue;
            parts.Add(block[start..i]);
            start = i + 1;
        }
        return [.. parts];
    }
}
