using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MigrationPortal.Fixtures.Smtp;

namespace MigrationPortal.Email.Tests;

public sealed class AddPortalEmailTests
{
    private static readonly string ContentRoot = Path.Combine(Path.GetTempPath(), "mp-email-root");

    [Fact]
    public async Task AddPortalEmail_HostEmpty_RegistersPickupSenderUnderContentRoot()
    {
        await using var services = Build(new() { ["Smtp:Host"] = "" });

        var sender = Assert.IsType<PickupDirectoryEmailSender>(services.GetRequiredService<IEmailSender>());
        var description = services.GetRequiredService<EmailDeliveryDescription>();

        var expected = Path.Combine(ContentRoot, "mail-outbox");
        Assert.Equal(expected, sender.Directory);
        Assert.False(description.UsesSmtp);
        Assert.Equal(expected, description.PickupDirectory);
        Assert.Equal($"writing .eml files to {expected}", description.Describe());
    }

    [Fact]
    public async Task AddPortalEmail_NoSmtpSection_RegistersPickupSender()
    {
        await using var services = Build([]);

        Assert.IsType<PickupDirectoryEmailSender>(services.GetRequiredService<IEmailSender>());
    }

    [Fact]
    public async Task AddPortalEmail_AbsolutePickupDirectory_KeepsIt()
    {
        var elsewhere = Path.Combine(Path.GetTempPath(), "elsewhere", "outbox");
        await using var services = Build(new() { ["Smtp:PickupDirectory"] = elsewhere });

        Assert.Equal(elsewhere, Assert.IsType<PickupDirectoryEmailSender>(services.GetRequiredService<IEmailSender>()).Directory);
    }

    [Fact]
    public async Task AddPortalEmail_HostSet_RegistersOneSmtpSender()
    {
        await using var services = Build(new() { ["Smtp:Host"] = "smtp.example.org", ["Smtp:Port"] = "587", ["Smtp:UseTls"] = "true" });

        var sender = Assert.IsType<SmtpEmailSender>(services.GetRequiredService<IEmailSender>());
        Assert.Same(sender, services.GetRequiredService<IEmailSender>());
        Assert.Equal("smtp.example.org:587", sender.Endpoint);
        Assert.True(services.GetRequiredService<EmailDeliveryDescription>().UsesSmtp);
    }

    [Theory]
    [InlineData("587", "true", "", "SMTP smtp.example.org:587 (STARTTLS)")]
    [InlineData("465", "true", "", "SMTP smtp.example.org:465 (implicit TLS)")]
    [InlineData("25", "false", "", "SMTP smtp.example.org:25 (no TLS)")]
    [InlineData("465", "false", "", "SMTP smtp.example.org:465 (no TLS)")]
    [InlineData("587", "true", "mailer", "SMTP smtp.example.org:587 (STARTTLS) as mailer")]
    public async Task Describe_SmtpSettings_NamesEndpointSecurityAndUserButNoPassword(string port, string useTls, string user, string expected)
    {
        await using var services = Build(new()
        {
            ["Smtp:Host"] = "smtp.example.org",
            ["Smtp:Port"] = port,
            ["Smtp:UseTls"] = useTls,
            ["Smtp:User"] = user,
            ["Smtp:Password"] = "hunter2",
        });

        Assert.Equal(expected, services.GetRequiredService<EmailDeliveryDescription>().Describe());
    }

    [Fact]
    public async Task AddPortalEmail_InvalidFrom_FailsValidation()
    {
        await using var services = Build(new() { ["Smtp:From"] = "not an address" });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<SmtpOptions>>().Value);
        Assert.Contains("Smtp:From", error.Message);
    }

    [Fact]
    public async Task AddPortalEmail_SmtpConfiguredAgainstSink_DeliversWithConfiguredFromAndLogin()
    {
        await using var sink = new SmtpSink("mailer", "s3cret");
        await sink.StartAsync();
        await using var services = Build(new()
        {
            ["Smtp:Host"] = sink.Host,
            ["Smtp:Port"] = sink.Port.ToString(),
            ["Smtp:UseTls"] = "false",
            ["Smtp:User"] = "mailer",
            ["Smtp:Password"] = "s3cret",
            ["Smtp:From"] = "Portal <portal@example.org>",
        });

        await services.GetRequiredService<IEmailSender>().SendAsync(TestMessages.Create("via DI"), CancellationToken.None);

        var received = await sink.WaitForMessageAsync(m => m.Subject == "via DI", TestMessages.Wait);
        Assert.Equal("portal@example.org", received.EnvelopeFrom);
        Assert.Equal("mailer", received.AuthenticatedUser);
    }

    [Fact]
    public async Task DisposeAsync_ContainerWithUsedSmtpSender_SaysQuit()
    {
        await using var sink = new SmtpSink();
        await sink.StartAsync();
        var services = Build(new() { ["Smtp:Host"] = sink.Host, ["Smtp:Port"] = sink.Port.ToString() });
        await services.GetRequiredService<IEmailSender>().SendAsync(TestMessages.Create("x"), CancellationToken.None);

        await services.DisposeAsync();

        Assert.Equal(1, sink.QuitCount);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection()
            .AddPortalEmail(configuration, ContentRoot)
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }
}
