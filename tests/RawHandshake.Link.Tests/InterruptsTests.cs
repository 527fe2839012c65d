namespace RawHandshake.Link.Tests;

public class InterruptsTests
{
    [Fact]
    public void The_first_signal_decides_the_exit_code_and_cancels_once()
    {
        var i = new Interrupts();
        i.ExitCode.ShouldBeNull();
        i.Token.IsCancellationRequested.ShouldBeFalse();
        var calls = 0;
        using var sub = i.OnInterrupt(() => calls++);

        i.Request(Interrupts.SigTerm).ShouldBeTrue();
        i.Request(Interrupts.SigInt).ShouldBeTrue(); // a repeat (e.g. passed on by --netns's parent) only asks again

        i.ExitCode.ShouldBe(143);
        i.Token.IsCancellationRequested.ShouldBeTrue();
        calls.ShouldBe(1);
        Should.Throw<InterruptedException>(i.ThrowIfRequested).ExitCode.ShouldBe(143);
    }

    [Fact]
    public void A_subscriber_after_the_signal_runs_at_once()
    {
        var i = new Interrupts();
        i.Request(Interrupts.SigInt);
        var ran = false;
        using var sub = i.OnInterrupt(() => ran = true);
        ran.ShouldBeTrue();
    }

    [Fact]
    public void The_third_signal_lets_the_default_action_end_the_process()
    {
        var i = new Interrupts();
        i.Request(Interrupts.SigInt).ShouldBeTrue();
        i.Request(Interrupts.SigInt).ShouldBeTrue();
        i.Request(Interrupts.SigInt).ShouldBeFalse();
        i.ExitCode.ShouldBe(130);
    }
}
