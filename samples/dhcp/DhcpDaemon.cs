using System.Globalization;
using System.Runtime.InteropServices;
using Cni.Net.Plugins;
using Cni.Net.Plugins.Server;
using Microsoft.Extensions.Logging;

namespace Cni.Net.Samples.Dhcp;

/// <summary>
/// <c>dhcp daemon [-socketpath P] [-hostprefix P] [-pidfile P] [-broadcast] [-timeout D] [-resendmax D] [-resendtimeout D]</c>:
/// the reference's flags, Go's flag syntax (<c>-f v</c>, <c>-f=v</c>, <c>--f</c>) and durations (<c>10s</c>, <c>1m30s</c>).
/// Serves the dhcp plugin over the unix socket until SIGTERM/SIGINT.
/// </summary>
internal static class DhcpDaemon
{
    public static async Task<int> RunAsync(string[] args)
    {
        string pidfile = "", hostPrefix = "", socketPath = "";
        bool broadcast = false;
        TimeSpan timeout = TimeSpan.FromSeconds(10), resendMax = TimeSpan.FromSeconds(62), resendTimeout = TimeSpan.FromSeconds(208);
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string flag = args[i].TrimStart('-');
                string? value = null;
                if (flag.IndexOf('=', StringComparison.Ordinal) is int eq and > 0)
                {
                    value = flag[(eq + 1)..];
                    flag = flag[..eq];
                }
                string Value() => value ?? (++i < args.Length ? args[i] : throw new FormatException($"flag needs an argument: -{flag}"));
                switch (flag)
                {
                    case "pidfile": pidfile = Value(); break;
                    case "hostprefix": hostPrefix = Value(); break;
                    case "socketpath": socketPath = Value(); break;
                    case "broadcast": broadcast = value is null || bool.Parse(value); break;
                    case "timeout": timeout = GoDuration(Value()); break;
                    case "resendmax": resendMax = GoDuration(Value()); break;
                    case "resendtimeout": resendTimeout = GoDuration(Value()); break;
                    default: throw new FormatException($"flag provided but not defined: -{flag}");
                }
            }
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        if (socketPath.Length == 0)
        {
            socketPath = DhcpOptionList.DefaultSocketPath;
        }
        if (pidfile.Length > 0)
        {
            if (!Path.IsPathRooted(pidfile))
            {
                Console.Error.WriteLine($"Error writing pidfile \"{pidfile}\": path not absolute");
                return 1;
            }
            File.WriteAllText(pidfile, Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        }

        using var loggerFactory = new TextWriterLoggerFactory(Console.Error);
        ILogger logger = loggerFactory.CreateLogger("dhcp");
        var plugin = new DhcpDaemonPlugin(new DhcpDaemonSettings(hostPrefix, broadcast, timeout, resendMax, resendTimeout), logger);
        var server = new CniPluginServer(new CniPluginServerOptions
        {
            SocketPath = hostPrefix + socketPath,
            LoggerFactory = loggerFactory,
            // An ADD may retry for the whole resend timeout before it answers.
            RequestTimeout = resendTimeout + timeout + TimeSpan.FromSeconds(30),
        });
        server.RegisterPlugin("dhcp", plugin);

        using var stop = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        try
        {
            Log.Listening(logger, hostPrefix + socketPath);
            await server.RunAsync(stop.Token);
            await plugin.StopAllAsync();
            return 0;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"Error getting listener: {e.Message}");
            return 1;
        }
        finally
        {
            if (pidfile.Length > 0)
            {
                File.Delete(pidfile);
            }
        }
    }

    /// <summary>Go's time.ParseDuration for the units a flag needs: h, m, s, ms, us, ns, with fractions ("1.5s").</summary>
    internal static TimeSpan GoDuration(string text)
    {
        if (text == "0")
        {
            return TimeSpan.Zero;
        }
        double total = 0;
        int i = 0;
        if (text.Length == 0)
        {
            throw new FormatException("time: invalid duration \"\"");
        }
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }
            int unitStart = i;
            while (i < text.Length && !char.IsAsciiDigit(text[i]) && text[i] != '.')
            {
                i++;
            }
            if (!double.TryParse(text.AsSpan(start, unitStart - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
            {
                throw new FormatException($"time: invalid duration \"{text}\"");
            }
            total += text[unitStart..i] switch
            {
                "h" => number * 3600e3,
                "m" => number * 60e3,
                "s" => number * 1e3,
                "ms" => number,
                "us" or "µs" => number / 1e3,
                "ns" => number / 1e6,
                _ => throw new FormatException($"time: unknown unit in duration \"{text}\""),
            };
        }
        return TimeSpan.FromMilliseconds(total);
    }
}
