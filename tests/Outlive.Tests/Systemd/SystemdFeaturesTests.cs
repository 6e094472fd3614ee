using Outlive.Escape;
using Outlive.Systemd;

namespace Outlive.Tests.Systemd;

public class SystemdFeaturesTests
{
    [Theory]
    [InlineData("252.38-1~deb12u1", 252)]
    [InlineData("252 (252.36-1~deb12u1)", 252)]
    [InlineData("239 (239-82.el8)", 239)]
    [InlineData("v255", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void The_major_version_is_the_number_the_managers_Version_starts_with(string? version, int? major)
    {
        Assert.Equal(major, SystemdFeatures.MajorVersion(version));
    }

    [Theory]
    [InlineData(239, "simple")]
    [InlineData(240, "exec")]
    [InlineData(252, "exec")]
    [InlineData(null, "exec")]
    public void A_transient_service_is_Type_exec_from_systemd_240_and_Type_simple_before(int? version, string type)
    {
        var features = new SystemdFeatures(version);

        Assert.Equal(type, TransientUnitStart.ServiceTypeFor(features));
        Assert.Equal(type == "simple", features.Missing.Count == 1);
    }

    [Fact]
    public void What_systemd_239_lacks_is_said_in_one_line_naming_the_version_that_has_it()
    {
        string lack = Assert.Single(new SystemdFeatures(239).Missing);
        Assert.Contains("Type=exec (systemd 240)", lack, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', lack);
    }
}
