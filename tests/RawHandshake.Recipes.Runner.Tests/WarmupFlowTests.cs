using RawHandshake.Engine.Live;

namespace RawHandshake.Recipes.Runner.Tests;

/// <summary>The recipe warm-up flow: its built-in recipe compiles and passes against the warm-up peer.</summary>
public sealed class WarmupFlowTests
{
    [Fact]
    public void The_recipe_warm_up_passes_against_the_built_in_peer()
    {
        Warmup.Run(RecipeRun.WarmupFlow).ShouldBeTrue();
        Warmup.Run(RecipeRun.WarmupFlow).ShouldBeTrue();
    }
}
