using System.Net;
using System.Net.Sockets;

namespace MigrationPortal.Fixtures;

public static class LoopbackPort
{
    /// <summary>
    /// A loopback port nothing listens on at this moment (the kernel's pick for port 0). Free when picked, not
    /// reserved: whoever binds it next may lose a race, so callers retry on "address already in use".
    /// </summary>
    public static int Free()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}
