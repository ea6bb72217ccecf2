namespace Cni.Net.Tests;

public class SmokeTests
{
    [Fact]
    public void Assembly_Loads()
    {
        Assert.Equal("Cni.Net", typeof(Cni.Net.Spec.CniVersion).Assembly.GetName().Name);
    }
}
