using System.Text;
using RawHandshake.Lab.Servers;

namespace RawHandshake.Lab.Tests.Servers;

public sealed class HttpResponderTests
{
    [Theory]
    [InlineData("GET / HTTP/1.1\r\n\r\n", 18)]
    [InlineData("GET / HTTP/1.1\n\n", 16)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n", -1)]
    public void Head_end(string text, int end) => HttpResponder.HeadEnd(Encoding.ASCII.GetBytes(text)).ShouldBe(end);

    [Theory]
    [InlineData("GET http://198.18.2.10/index.html HTTP/1.1\r\n\r\n", 200)]
    [InlineData("GET /?q=1 HTTP/1.1\r\n\r\n", 200)]
    [InlineData("GET /index.htm HTTP/1.1\r\n\r\n", 404)]
    [InlineData("GET / SPDY/3\r\n\r\n", 400)]
    [InlineData("DELETE / HTTP/1.1\r\n\r\n", 501)]
    public void Status(string request, int status) => HttpResponder.Respond(Encoding.ASCII.GetBytes(request)).Status.ShouldBe(status);

    [Fact]
    public void The_200_response_is_exact()
    {
        var (_, response) = HttpResponder.Respond("GET / HTTP/1.0\r\n\r\n"u8);
        Encoding.UTF8.GetString(response).ShouldBe(
            "HTTP/1.1 200 OK\r\nServer: rawhandshake\r\nContent-Type: text/html; charset=utf-8\r\n" +
            $"Content-Length: {Encoding.UTF8.GetByteCount(HttpResponder.Page)}\r\nConnection: close\r\n\r\n" + HttpResponder.Page);
    }
}
