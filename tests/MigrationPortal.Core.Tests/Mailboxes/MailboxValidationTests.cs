using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Core.Projects;

namespace MigrationPortal.Core.Tests.Mailboxes;

public sealed class MailboxValidationTests
{
    private static readonly ImapEndpoint Source = new("imap.source.test", 993, TlsMode.Tls);
    private static readonly ImapEndpoint Destination = new("imap.destination.test", 143, TlsMode.StartTls);

    // ----------------------------------------------------------------- addresses

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Credentials_EmailMissing_Required(string? email)
    {
        var error = Assert.Throws<DomainValidationException>(() => new MailboxCredentials(email!, null, null));

        Assert.Equal("The email address is required.", error.Message);
    }

    [Theory]
    [InlineData("alice")]
    [InlineData("@source.test")]
    [InlineData("alice@")]
    [InlineData("alice@@source.test")]
    [InlineData("alice@source@test")]
    [InlineData("alice smith@source.test")]
    [InlineData("alice\u0001@source.test")]
    [InlineData("<alice@source.test>")]
    [InlineData("alice@source.test,bob@source.test")]
    [InlineData("alice@source.test;bob@source.test")]
    [InlineData("\"alice\"@source.test")]
    public void Credentials_EmailInvalid_NamesTheValue(string email)
    {
        var error = Assert.Throws<DomainValidationException>(() => new MailboxCredentials(email, null, null));

        Assert.Equal($"'{email}' is not a valid email address.", error.Message);
    }

    [Fact]
    public void Credentials_EmailLongerThan254_Invalid()
    {
        var email = new string('a', 245) + "@source.test";

        var error = Assert.Throws<DomainValidationException>(() => new MailboxCredentials(email, null, null));

        Assert.Contains("is not a valid email address", error.Message);
    }

    [Fact]
    public void Credentials_EmailWithSurroundingSpaces_Trimmed()
    {
        var credentials = new MailboxCredentials("  alice@source.test  ", "  alice  ", "cipher:x");

        Assert.Equal("alice@source.test", credentials.Email);
        Assert.Equal("alice", credentials.LoginName);
        Assert.True(credentials.IsKnown);
    }

    // ----------------------------------------------------------------- login names and passwords

    [Theory]
    [InlineData("ali\u0000ce")]
    [InlineData("ali\nce")]
    [InlineData("ali\tce")]
    [InlineData("alice\u007f")]
    public void Credentials_LoginWithControlCharacters_Refused(string login)
    {
        var error = Assert.Throws<DomainValidationException>(() => new MailboxCredentials("alice@source.test", login, "cipher:x"));

        Assert.Equal("The login name contains control characters.", error.Message);
    }

    [Fact]
    public void Credentials_LoginLongerThan254_Refused()
    {
        var error = Assert.Throws<DomainValidationException>(() =>
            new MailboxCredentials("alice@source.test", new string('a', 255), "cipher:x"));

        Assert.Contains("longer than 254", error.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("    ")]
    public void Credentials_KnownPasswordWithoutLogin_Refused(string? login)
    {
        var error = Assert.Throws<DomainValidationException>(() => new MailboxCredentials("alice@source.test", login, "cipher:x"));

        Assert.Equal("A login name is required when the password is known.", error.Message);
    }

    [Fact]
    public void Credentials_NoPassword_UnknownAndLoginOptional()
    {
        var credentials = new MailboxCredentials("alice@source.test", null, null);

        Assert.False(credentials.IsKnown);
        Assert.Equal("", credentials.LoginName);
    }

    // ----------------------------------------------------------------- the mailbox itself

    [Theory]
    [InlineData("")]
    [InlineData("not-an-address")]
    public void Mailbox_NotifyEmailInvalid_Refused(string notify)
    {
        var error = Assert.Throws<DomainValidationException>(() => new Mailbox(1,
            MailboxScenario.Known(MailboxScenario.SourceEmail), MailboxScenario.Known(MailboxScenario.DestinationEmail),
            notify, MailboxScenario.Admin, MailboxScenario.StartTime));

        Assert.Contains("notification address", error.Message);
    }

    [Fact]
    public void Edit_NotifyEmailInvalid_RefusedAndNothingChanges()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox();
        var version = mailbox.Version;

        var error = Assert.Throws<DomainValidationException>(() => mailbox.Edit(MailboxScenario.Known("bob@source.test"),
            MailboxScenario.Known("bob@destination.test"), "bob at example", MailboxScenario.Admin, scenario.Now));

        Assert.Contains("notification address", error.Message);
        Assert.Equal(MailboxScenario.SourceEmail, mailbox.Source.Email);
        Assert.Equal(MailboxScenario.NotifyEmail, mailbox.NotifyEmail);
        Assert.Equal(version, mailbox.Version);
    }

    [Fact]
    public void ClearCredentials_NeitherSide_RefusedAndNothingChanges()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.InStatus(MailboxStatus.Completed);
        var version = mailbox.Version;

        var error = Assert.Throws<DomainValidationException>(() =>
            mailbox.ClearCredentials(source: false, destination: false, MailboxScenario.Admin, scenario.Now));

        Assert.Contains("Clear Source Credentials", error.Message);
        Assert.True(mailbox.Source.IsKnown);
        Assert.True(mailbox.Destination.IsKnown);
        Assert.Equal(version, mailbox.Version);
    }

    [Fact]
    public void RecordProgress_Negative_RefusedAndPassUnchanged()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.InStatus(MailboxStatus.Migrating);

        Assert.Throws<ArgumentOutOfRangeException>(() => mailbox.RecordProgress(-1, 10));

        var pass = Assert.Single(mailbox.Passes);
        Assert.Equal((0, 0L), (pass.ItemsCopied, pass.BytesCopied));
    }

    [Fact]
    public void FailureReason_DetailLongerThanLimit_Truncated()
    {
        var reason = FailureReason.MigrationError(new string('x', FailureReason.MaxDetailLength + 50));

        Assert.Equal(FailureReason.MaxDetailLength, reason.Detail!.Length);
    }

    // ----------------------------------------------------------------- projects and endpoints

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Project_NameEmpty_Required(string name)
    {
        var error = Assert.Throws<DomainValidationException>(() =>
            new MigrationProject(name, Source, Destination, 5, MailboxScenario.StartTime));

        Assert.Equal("The project name is required.", error.Message);
    }

    [Fact]
    public void Project_NameTooLong_Refused()
    {
        var name = new string('p', MigrationProject.MaxNameLength + 1);

        var error = Assert.Throws<DomainValidationException>(() =>
            new MigrationProject(name, Source, Destination, 5, MailboxScenario.StartTime));

        Assert.Equal("The project name is longer than 200 characters.", error.Message);
    }

    [Fact]
    public void Project_NameWithControlCharacter_Refused()
    {
        var error = Assert.Throws<DomainValidationException>(() =>
            new MigrationProject("Spring\u0007 move", Source, Destination, 5, MailboxScenario.StartTime));

        Assert.Contains("control characters", error.Message);
    }

    [Fact]
    public void Project_NameAtLimit_AcceptedAndTrimmed()
    {
        var name = new string('p', MigrationProject.MaxNameLength);

        var project = new MigrationProject($"  {name}  ", Source, Destination, 5, MailboxScenario.StartTime);

        Assert.Equal(name, project.Name);
        Assert.Equal(MailboxScenario.StartTime, project.CreatedAt);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    [InlineData(501)]
    public void Project_MaxConcurrencyOutOfRange_Refused(int maxConcurrent)
    {
        var error = Assert.Throws<DomainValidationException>(() =>
            new MigrationProject("Spring move", Source, Destination, maxConcurrent, MailboxScenario.StartTime));

        Assert.Equal("Maximum concurrent migrations must be between 1 and 500.", error.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(500)]
    public void Project_MaxConcurrencyAtBounds_Accepted(int maxConcurrent)
    {
        var project = new MigrationProject("Spring move", Source, Destination, maxConcurrent, MailboxScenario.StartTime);

        Assert.Equal(maxConcurrent, project.MaxConcurrentMigrations);
    }

    [Fact]
    public void Update_InvalidConcurrency_LeavesProjectUnchanged()
    {
        var project = new MigrationProject("Spring move", Source, Destination, 5, MailboxScenario.StartTime);

        Assert.Throws<DomainValidationException>(() => project.Update("Autumn move", Destination, Source, 0));

        Assert.Equal("Spring move", project.Name);
        Assert.Equal(Source, project.Source);
        Assert.Equal(5, project.MaxConcurrentMigrations);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65_536)]
    public void Endpoint_PortOutOfRange_Refused(int port)
    {
        var error = Assert.Throws<DomainValidationException>(() => new ImapEndpoint("imap.source.test", port, TlsMode.Tls));

        Assert.Equal("The IMAP port must be between 1 and 65535.", error.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(65_535)]
    public void Endpoint_PortAtBounds_Accepted(int port)
    {
        Assert.Equal(port, new ImapEndpoint("imap.source.test", port, TlsMode.None).Port);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void Endpoint_HostMissing_Required(string host)
    {
        var error = Assert.Throws<DomainValidationException>(() => new ImapEndpoint(host, 993, TlsMode.Tls));

        Assert.Equal("The IMAP host is required.", error.Message);
    }

    [Theory]
    [InlineData("imap source.test")]
    [InlineData("imap.source.test/inbox")]
    [InlineData("imap\u0000.source.test")]
    public void Endpoint_HostInvalid_NamesTheValue(string host)
    {
        var error = Assert.Throws<DomainValidationException>(() => new ImapEndpoint(host, 993, TlsMode.Tls));

        Assert.Contains("is not a valid host name", error.Message);
    }

    [Fact]
    public void Endpoint_HostTooLong_Refused()
    {
        Assert.Throws<DomainValidationException>(() => new ImapEndpoint(new string('h', ImapEndpoint.MaxHostLength + 1), 993, TlsMode.Tls));
    }

    [Fact]
    public void Endpoint_UnknownTlsMode_Refused()
    {
        var error = Assert.Throws<DomainValidationException>(() => new ImapEndpoint("imap.source.test", 993, (TlsMode)7));

        Assert.Equal("Unknown TLS mode.", error.Message);
    }
}
