using Cni.Net.IntegrationTests.Infrastructure;

namespace Cni.Net.IntegrationTests;

public class InfrastructureTests
{
    [Fact]
    public void TestNamespace_Dispose_RemovesNamespace()
    {
        string name;
        using (var ns = new TestNamespace("infra"))
        {
            name = ns.Name;
            Assert.Contains(name, Shell.Check("ip", "netns", "list"), StringComparison.Ordinal);
            Assert.Equal(1, ns.IpJson("link", "show").GetArrayLength());
        }
        Assert.DoesNotContain(name, Shell.Check("ip", "netns", "list"), StringComparison.Ordinal);
    }

    [Fact]
    public void Process_RunsOutsideRootNamespace()
    {
        Require.NotInRootNamespace();
    }
}
