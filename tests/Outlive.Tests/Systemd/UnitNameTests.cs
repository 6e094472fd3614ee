using Outlive.Systemd;

namespace Outlive.Tests.Systemd;

public class UnitNameTests
{
    [Theory]
    [InlineData("foo.service")]
    [InlineData("getty@tty1.service")]
    [InlineData("getty@.service")]
    [InlineData(@"a\x2db.service")]
    [InlineData("-.slice")]
    [InlineData("sys-devices-a:b.device")]
    [InlineData("outlive-x-0123abcd.scope")]
    [InlineData("foo@a@b.service")]
    public void Names_systemd_accepts_are_valid(string name)
    {
        UnitName.Validate(name);
        Assert.True(UnitName.IsValid(name));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("foo", "unit type")]
    [InlineData("foo.txt", "unit type")]
    [InlineData("a/b.service", "'/'")]
    [InlineData("a..b.service", "'..'")]
    [InlineData(".service", "empty")]
    [InlineData("@x.service", "empty")]
    [InlineData("sp ace.service", "' '")]
    [InlineData("ünï.service", "'ü'")]
    [InlineData("x@y.scope", "template")]
    [InlineData("x@.slice", "template")]
    [InlineData("x@y z.service", "instance")]
    public void Invalid_names_throw_a_one_line_message_naming_the_rule(string name, string reason)
    {
        var e = Assert.Throws<InvalidNameException>(() => UnitName.Validate(name));
        Assert.Contains(reason, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(ExitCodes.Usage, ExitCodes.For(e));
    }

    [Fact]
    public void A_name_longer_than_255_is_invalid()
    {
        Assert.True(UnitName.IsValid(new string('a', 247) + ".service"));
        Assert.False(UnitName.IsValid(new string('a', 248) + ".service"));
    }

    [Theory]
    [InlineData("foo", "foo")]
    [InlineData("sleep-1342", "sleep-1342")]
    [InlineData("my-app.v2:x_y", "my-app.v2:x_y")]
    [InlineData("a b", @"a\x20b")]
    [InlineData("a/b", @"a\x2fb")]
    [InlineData(@"back\slash", @"back\x5cslash")]
    [InlineData("web@1", @"web\x401")]
    [InlineData("é", @"\xc3\xa9")]
    public void A_transient_units_word_keeps_every_character_systemd_accepts_and_escapes_only_the_others(string text, string readable)
    {
        Assert.Equal(readable, UnitName.ReadablePart(text));
    }

    [Fact]
    public void A_registry_name_with_dashes_gives_a_unit_name_a_shell_can_take_unquoted()
    {
        string unit = UnitName.CreateTransient("sleep-1342", "scope");

        Assert.Matches(@"^outlive-sleep-1342-[0-9a-f]{8}\.scope$", unit);
        Assert.DoesNotContain('\\', unit);
    }

    [Fact]
    public void Transient_names_are_valid_unique_and_carry_the_name()
    {
        string a = UnitName.CreateTransient("web worker");
        string b = UnitName.CreateTransient("web worker");
        Assert.NotEqual(a, b);
        Assert.Matches(@"^outlive-web\\x20worker-[0-9a-f]{8}\.scope$", a);
        Assert.True(UnitName.IsValid(a));
    }

    [Theory]
    [InlineData("a..b")]
    [InlineData("....")]
    [InlineData("")]
    [InlineData("/")]
    public void Transient_names_from_awkward_input_are_still_valid(string name)
    {
        Assert.True(UnitName.IsValid(UnitName.CreateTransient(name, "service")));
    }

    [Fact]
    public void A_very_long_name_is_cut_without_breaking_an_escape()
    {
        string unit = UnitName.CreateTransient(string.Concat(Enumerable.Repeat("é", 200)));
        Assert.True(unit.Length <= UnitName.MaxLength);
        Assert.Matches(@"^outlive-(\\x[0-9a-f]{2})+-[0-9a-f]{8}\.scope$", unit);
    }
}
