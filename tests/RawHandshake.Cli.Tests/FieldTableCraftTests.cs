using RawHandshake.Cli.Args;
using RawHandshake.Cli.Verbs;
using RawHandshake.Recipes.Syntax;
using RawHandshake.Wire.Parsing;

namespace RawHandshake.Cli.Tests;

/// <summary>
/// Issue 8 §1: craft's header options are the field table's. Each field craft can set goes through the table into the
/// frame craft builds, and the table's reader gets the value back; no craft option of the table is missing.
/// </summary>
public sealed class FieldTableCraftTests
{
    /// <summary>A value for each field that differs from craft's default and leaves the frame readable.</summary>
    internal static long Sample(RecipeField f) => f.Name switch
    {
        "ttl" => 33,
        "tos" => 0x29,
        "ip.id" => 4242,
        "df" or "mf" or "evil" => 1,
        "frag-offset" => 100,
        "ip.len" => 41,
        "ihl" => 6,
        "ip.checksum" => 0x1234,
        "tcp.checksum" => 0x4321,
        "urg" => 7,
        "data-offset" => 6,
        "reserved" => 5,
        "dscp" => 10,
        "ecn" => 2,
        _ => throw new ArgumentException($"no sample for {f.Name}: add one when a field joins the table", nameof(f)),
    };

    public static TheoryData<string> CraftFields()
    {
        var data = new TheoryData<string>();
        foreach (var f in RecipeFields.All.Where(f => f.Settable && f.CraftOption is not null))
        {
            data.Add(f.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CraftFields))]
    public void A_field_set_by_its_craft_option_reads_back_from_the_frame(string name)
    {
        var field = RecipeFields.Get(name);
        var value = Sample(field);
        var options = new CraftOptions();
        var property = FrameSpec.OptionProperty(field.CraftOption!).ShouldNotBeNull();
        property.SetValue(options, property.PropertyType == typeof(bool) ? true : value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var frame = FrameSpec.From(options).Build();
        var parsed = FrameParser.Parse(frame);
        field.Read(parsed, frame).ShouldBe(value);
    }

    [Fact]
    public void Every_craft_option_the_table_names_exists_in_craft()
    {
        foreach (var f in RecipeFields.All.Where(f => f.CraftOption is not null))
        {
            FrameSpec.OptionProperty(f.CraftOption!).ShouldNotBeNull($"{f.Name}: craft has no {f.CraftOption}");
        }
    }

    [Fact]
    public void A_craft_value_out_of_the_fields_range_is_refused_with_the_option_name()
    {
        foreach (var f in RecipeFields.All.Where(f => f.Settable && f.CraftOption is not null && FrameSpec.OptionProperty(f.CraftOption!)!.PropertyType == typeof(string)))
        {
            var options = new CraftOptions();
            FrameSpec.OptionProperty(f.CraftOption!)!.SetValue(options, (f.Max + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
            Should.Throw<UsageException>(() => FrameSpec.From(options)).Message.ShouldStartWith(f.CraftOption!);
        }
    }
}
