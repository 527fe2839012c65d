namespace RawHandshake.Link.Tests;

/// <summary>The boot id our ISN key comes from.</summary>
public class BootIdTests
{
    [Theory]
    [InlineData("5a6c2f1e-0b3d-4c8e-9f71-2d4e6a8b0c13\n", true)]
    [InlineData("5A6C2F1E-0B3D-4C8E-9F71-2D4E6A8B0C13", true)]
    [InlineData("5a6c2f1e0b3d4c8e9f712d4e6a8b0c13", false)]
    [InlineData("not an id", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void OnlyTheKernelsFormIsAnId(string? text, bool isId) =>
        BootId.Parse(text).HasValue.ShouldBe(isId);

    [Fact]
    public void ThisHostHasOneAndItIsTheFilesText()
    {
        var id = BootId.Current.ShouldNotBeNull();
        id.ToString("D").ShouldBe(File.ReadAllText(BootId.File).Trim(), StringCompareShould.IgnoreCase);
    }
}
