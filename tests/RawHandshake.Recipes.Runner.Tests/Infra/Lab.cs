namespace RawHandshake.Recipes.Runner.Tests.Infra;

/// <summary>The lab's servers (198.18.2.10 in the real lab), played by the fake Linux server at <see cref="Net.Server"/>.</summary>
public static class Lab
{
    public const uint NearWrap = 0xFFFF_FFF0;

    public const string HttpResponse = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";

    /// <summary>
    /// 20000: echo, closes when the client does. 20001: echo, closes 1 s after accepting. 20002: echo, after the client's
    /// FIN sends "late data" three times, then its FIN. 20003: reads once, echoes, closes 3 s later. 80: HTTP, closes after
    /// the response. 20099: closed.
    /// </summary>
    public static LinuxPeer Configure(LinuxPeer peer, uint isn = 0x0001_0000)
    {
        peer.Listen(20000, s => s.Isn = isn);
        peer.Listen(20001, s =>
        {
            s.Isn = isn;
            s.CloseAfterAccept = TimeSpan.FromSeconds(1);
        });
        peer.Listen(20002, s =>
        {
            s.Isn = isn;
            s.LateData = ["late data", "late data", "late data"];
            s.LateInterval = TimeSpan.FromMilliseconds(200);
        });
        peer.Listen(20003, s =>
        {
            s.Isn = isn;
            s.ReadOnce = true;
            s.CloseAfterEcho = TimeSpan.FromSeconds(3);
            s.OnClientFin = FinAnswer.AckOnly;
        });
        peer.Listen(80, s =>
        {
            s.Isn = isn;
            s.Echo = false;
            s.HttpResponse = HttpResponse;
        });
        return peer;
    }

    /// <summary>The repository's <c>recipes/</c> folder (found by walking up to RawHandshake.sln).</summary>
    public static string RecipesDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RawHandshake.sln")))
            {
                return Path.Combine(dir.FullName, "recipes");
            }
        }

        throw new DirectoryNotFoundException("RawHandshake.sln not found above " + AppContext.BaseDirectory);
    }
}
