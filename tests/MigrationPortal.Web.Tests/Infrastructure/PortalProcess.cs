using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace MigrationPortal.Web.Tests.Infrastructure;

/// <summary>
/// The real portal as an operating-system process of its own (<c>dotnet MigrationPortal.Web.dll --urls …</c>), so a
/// test can do to it what an operator or the kernel does: kill it outright (SIGKILL, no shutdown code runs) and start
/// another on the same database. Its console is drained all the time (a full pipe would block the portal) and kept
/// for failure messages. Disposing it kills it if it still runs.
/// </summary>
public sealed class PortalProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly ConcurrentDictionary<int, Process> Running = new();

    static PortalProcess()
    {
        // Tests dispose what they start; this covers a test host that exits without disposing, so no portal outlives it.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var process in Running.Values)
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        };
    }

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output;

    private PortalProcess(Process process, ConcurrentQueue<string> output, string baseUrl)
    {
        _process = process;
        _output = output;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>What the process wrote to stdout and stderr so far, tagged by stream.</summary>
    public string Output => string.Join('\n', _output);

    /// <summary>
    /// The Web project's build output. The test project references it, so the build copies MigrationPortal.Web.dll with
    /// its runtimeconfig.json and deps.json next to the tests: the same build configuration, wherever the tests were built.
    /// </summary>
    public static string WebDll
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "MigrationPortal.Web.dll");
            if (!File.Exists(path) || !File.Exists(Path.ChangeExtension(path, ".runtimeconfig.json")))
                throw new InvalidOperationException($"{path} (with its runtimeconfig.json) is missing: build the test project, which references the Web project.");
            return path;
        }
    }

    /// <summary>
    /// Starts the portal on a free loopback port with the given settings (environment variables, e.g.
    /// <c>ConnectionStrings__Portal</c>) and waits until it answers HTTP. The working directory is the repository root,
    /// which the portal takes as its content root (appsettings.json, wwwroot), as under <c>dotnet run</c>.
    /// </summary>
    public static async Task<PortalProcess> StartAsync(IReadOnlyDictionary<string, string> environment)
    {
        // The port is free when picked but not reserved: another process may bind it first, so a lost race is retried.
        for (var attempt = 1; ; attempt++)
        {
            var portal = Launch(environment, MigrationPortal.Fixtures.LoopbackPort.Free());
            try
            {
                await portal.WaitUntilAnsweringAsync();
                return portal;
            }
            catch (InvalidOperationException) when (attempt < 3 && portal.Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                await portal.DisposeAsync();
            }
            catch
            {
                await portal.DisposeAsync();
                throw;
            }
        }
    }

    private static PortalProcess Launch(IReadOnlyDictionary<string, string> environment, int port)
    {
        var baseUrl = $"http://127.0.0.1:{port}";
        var start = new ProcessStartInfo(DotnetHost)
        {
            WorkingDirectory = PortalFactory.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(WebDll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(baseUrl);
        // Said as well as implied by the working directory, so the portal finds appsettings.json and wwwroot either way.
        start.ArgumentList.Add("--contentRoot");
        start.ArgumentList.Add(PortalFactory.RepositoryRoot);
        // What the test runner's own environment may say about hosting is not this portal's business.
        foreach (var inherited in start.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(inherited);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        // Links lead to where this portal listens, unless the test says otherwise.
        start.Environment["Portal__PublicBaseUrl"] = baseUrl;
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment)
            start.Environment[key] = value;

        var output = new ConcurrentQueue<string>();
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue("out: " + e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue("err: " + e.Data); };
        if (!process.Start())
            throw new InvalidOperationException("dotnet did not start.");
        Running[process.Id] = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new PortalProcess(process, output, baseUrl);
    }

    private async Task WaitUntilAnsweringAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(); // the rest of its output
                throw new InvalidOperationException($"The portal exited with code {_process.ExitCode} before answering. Its output:\n{Output}");
            }
            try
            {
                using var response = await http.GetAsync(BaseUrl + "/Admin/Account/Login");
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            if (DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"The portal did not answer within {StartTimeout.TotalSeconds:0} s. Its output:\n{Output}");
            await Task.Delay(100);
        }
    }

    /// <summary>A browser-like client for this portal: cookies kept, redirects followed, as the admin's browser would.</summary>
    public HtmlClient CreateClient() =>
        new(new HttpClient(new HttpClientHandler { AllowAutoRedirect = true, UseCookies = true, CookieContainer = new CookieContainer() })
        {
            BaseAddress = new Uri(BaseUrl),
            Timeout = TimeSpan.FromSeconds(30),
        });

    /// <summary>SIGKILL to the portal (and anything it started): no shutdown code, no flush, as a crash or the OOM killer would.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>
    /// SIGTERM to the portal, as systemd, <c>docker stop</c> or Ctrl+C send it, and waits for the process to exit by itself.
    /// </summary>
    /// <returns>Its exit code.</returns>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        if (!MigrationPortal.Fixtures.Dovecot.Libc.Signal(_process.Id, MigrationPortal.Fixtures.Dovecot.Libc.SigTerm))
            throw new InvalidOperationException($"The portal (pid {_process.Id}) could not be sent SIGTERM: it has exited already.");
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The portal did not exit within {timeout.TotalSeconds:0} s of SIGTERM. Its output:\n{Output}");
        }
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (InvalidOperationException)
        {
            // It has gone already.
        }
        Running.TryRemove(_process.Id, out _);
        _process.Dispose();
    }

    /// <summary>
    /// The dotnet host running these tests (the test host is itself <c>dotnet testhost.dll</c>), so the portal runs on
    /// the same runtime even when another dotnet comes first on PATH; the dotnet CLI also says it in DOTNET_HOST_PATH.
    /// </summary>
    private static string DotnetHost =>
        Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
        : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : "dotnet";
}
