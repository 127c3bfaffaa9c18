using Microsoft.Playwright;

namespace MigrationPortal.BrowserTests.Infrastructure;

/// <summary>
/// Debian's Chromium driven by Playwright (Playwright cannot download its own browsers here).
/// One browser per test class; each test gets a fresh context with tracing, saved when the test fails.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public static string ArtifactsDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "playwright-artifacts");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} is missing: run ./test.sh (it installs Debian's chromium) or apt-get install chromium.");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic",
            ],
        });
    }

    /// <summary>Runs a journey in a new context; on failure keeps a trace and a screenshot in <see cref="ArtifactsDirectory"/>.</summary>
    public Task RunAsync(string name, string baseUrl, Func<IPage, Task> journey) => RunAsync(name, new BrowserNewContextOptions { BaseURL = baseUrl }, journey);

    /// <summary>The same in a context of the given kind (a phone's viewport, a locale).</summary>
    public async Task RunAsync(string name, BrowserNewContextOptions options, Func<IPage, Task> journey)
    {
        await using var context = await Browser.NewContextAsync(options);
        context.SetDefaultTimeout(15_000);
        await context.Tracing.StartAsync(new TracingStartOptions { Screenshots = true, Snapshots = true });
        var page = await context.NewPageAsync();
        try
        {
            await journey(page);
            await context.Tracing.StopAsync();
        }
        catch
        {
            Directory.CreateDirectory(ArtifactsDirectory);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtifactsDirectory, name + ".png"), FullPage = true });
            await context.Tracing.StopAsync(new TracingStopOptions { Path = Path.Combine(ArtifactsDirectory, name + ".trace.zip") });
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
    }
}
