namespace MigrationPortal.Web.Startup;

public static class PortalHost
{
    /// <summary>
    /// The content root is the working directory (the repository root under <c>dotnet run</c>), unless that
    /// holds no appsettings.json and the app's own folder does, as when a published portal is started from elsewhere.
    /// </summary>
    public static WebApplicationOptions Options(string[] args)
    {
        var cwd = Directory.GetCurrentDirectory();
        var appDir = AppContext.BaseDirectory;
        var useAppDir = !File.Exists(Path.Combine(cwd, "appsettings.json")) && File.Exists(Path.Combine(appDir, "appsettings.json"));
        return new WebApplicationOptions { Args = args, ContentRootPath = useAppDir ? appDir : null };
    }
}
