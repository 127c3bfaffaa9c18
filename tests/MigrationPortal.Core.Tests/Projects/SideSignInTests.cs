using MigrationPortal.Core.Licenses;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Core.Projects;

namespace MigrationPortal.Core.Tests.Projects;

public sealed class SideSignInTests
{
    private const string Tenant = "0b7a5c3e-2f6d-4f0e-9a55-6d1c2b3a4e5f";
    private const string Client = "5c0e7d1a-8b2f-4c3d-9e4f-a1b2c3d4e5f6";

    // ----------------------------------------------------------------- Start with a token side

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Start_TokenSideAndUnknownPasswords_AsksOnlyThePasswordSide(bool sourceTokens, bool destinationTokens)
    {
        var scenario = new MailboxScenario(rules: MailboxRules.Default with { Tokens = new TokenSides(sourceTokens, destinationTokens) });
        var mailbox = scenario.NewMailbox(sourceKnown: false, destinationKnown: false);

        var issued = scenario.Start(mailbox);

        Assert.NotNull(issued);
        Assert.Equal(MailboxStatus.WaitingForUser, mailbox.Status);
        Assert.Equal(!sourceTokens, issued.Request.AsksSource);
        Assert.Equal(!destinationTokens, issued.Request.AsksDestination);
        Assert.Contains(sourceTokens ? "destination credentials requested" : "source credentials requested", mailbox.Events.Last().Description);
    }

    [Fact]
    public void Start_BothSidesTokens_SubmitsWithoutAskingAnyone()
    {
        var scenario = new MailboxScenario(rules: MailboxRules.Default with { Tokens = new TokenSides(true, true) });
        var mailbox = scenario.NewMailbox(sourceKnown: false, destinationKnown: false);

        Assert.Null(scenario.Start(mailbox));
        Assert.Equal(MailboxStatus.Submitted, mailbox.Status);
        Assert.Empty(mailbox.CredentialRequests);
    }

    [Fact]
    public void VerifyCredentials_TokenSideWithoutPassword_IsAllowed()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox(sourceKnown: true, destinationKnown: false);

        Assert.Throws<MailboxTransitionException>(() => mailbox.EnsureCredentialsCanBeVerified());
        mailbox.EnsureCredentialsCanBeVerified(new TokenSides(Source: false, Destination: true));
    }

    // ----------------------------------------------------------------- the settings

    [Fact]
    public void Microsoft365App_ValidIds_KeepsThemAndTheCiphertext()
    {
        var signIn = SideSignIn.Microsoft365App($" {Tenant} ", Client.ToUpperInvariant(), "CIPHERTEXT");

        Assert.Equal(SignInMethod.Microsoft365App, signIn.Method);
        Assert.True(signIn.UsesTokens);
        Assert.Equal(Tenant, signIn.TenantId);
        Assert.Equal(Client, signIn.ClientId);
        Assert.Equal("CIPHERTEXT", signIn.ProtectedSecret);
        Assert.Null(signIn.TokenEndpoint);
        Assert.Equal("contoso.onmicrosoft.com", SideSignIn.Microsoft365App("contoso.onmicrosoft.com", Client, "x").TenantId);
    }

    [Theory]
    [InlineData("", Client, "x", null, "tenant")]
    [InlineData("common", Client, "x", null, "not a directory (tenant) id")]
    [InlineData(Tenant, "my-app", "x", null, "not an application (client) id")]
    [InlineData(Tenant, Client, "", null, "secret is required")]
    [InlineData(Tenant, Client, "x", "http://login.example.org/", "https://")]
    [InlineData(Tenant, Client, "x", "https://login.example.org/?x=1", "https://")]
    public void Microsoft365App_Invalid_RefusedSayingWhat(string tenant, string client, string secret, string? authority, string expected)
    {
        var e = Assert.Throws<DomainValidationException>(() => SideSignIn.Microsoft365App(tenant, client, secret, authority));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void SetSignIn_ChangesOneSideAndTheVersion()
    {
        var project = new MigrationProject("P", new ImapEndpoint("a", 993, TlsMode.Tls), new ImapEndpoint("b", 993, TlsMode.Tls), 5, DateTimeOffset.UnixEpoch);
        var before = project.Version;

        project.SetSignIn(MailboxSide.Destination, SideSignIn.GoogleServiceAccount("svc@proj.iam.gserviceaccount.com", "CIPHER", "https://oauth2.example.org/token"));

        Assert.Equal(SignInMethod.Password, project.SourceSignIn.Method);
        Assert.Equal(SignInMethod.GoogleServiceAccount, project.DestinationSignIn.Method);
        Assert.Equal("https://oauth2.example.org/token", project.DestinationSignIn.TokenEndpoint);
        Assert.Equal(new TokenSides(false, true), TokenSides.For(project));
        Assert.True(project.Version > before);
    }
    // ----------------------------------------------------------------- each user's own sign-in

    [Fact]
    public void UserSignInSides_AreStillAskedOfTheUser_NotCountedAsAdminAuthorised()
    {
        var project = new MigrationProject("P", new ImapEndpoint("a", 993, TlsMode.Tls), new ImapEndpoint("b", 993, TlsMode.Tls), 5, DateTimeOffset.UnixEpoch);
        project.SetSignIn(MailboxSide.Source, SideSignIn.GoogleUser("123-abc.apps.googleusercontent.com", "CIPHER"));
        project.SetSignIn(MailboxSide.Destination, SideSignIn.Microsoft365App(Tenant, Client, "CIPHER").ForEachUser());

        Assert.Equal(new TokenSides(false, false), TokenSides.For(project));
        Assert.True(project.SourceSignIn.UsesTokens && project.SourceSignIn.IsDelegated && !project.SourceSignIn.IsAdminAuthorised);
        Assert.Equal(SignInMethod.Microsoft365User, project.DestinationSignIn.Method);
        Assert.Equal(("Google", "Microsoft"), (project.SourceSignIn.ProviderName, project.DestinationSignIn.ProviderName));
        var scenario = new MailboxScenario(rules: MailboxRules.Default with { Tokens = TokenSides.For(project) });
        var issued = scenario.Start(scenario.NewMailbox(sourceKnown: false, destinationKnown: false));
        Assert.True(issued!.Request.AsksSource && issued.Request.AsksDestination);
    }

    [Fact]
    public void RecordSignIn_OneSide_KeepsTheGrant_LinkStaysOpen_TheOtherSideThenSubmits()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox(sourceKnown: false, destinationKnown: false);
        var request = scenario.Start(mailbox)!.Request;

        mailbox.RecordSignIn(request, MailboxSide.Destination, "alice@destination.test", "GRANT-CIPHER", "Microsoft", scenario.Now);

        Assert.Equal(MailboxStatus.WaitingForUser, mailbox.Status);
        Assert.True(request.IsUsable(scenario.Now));
        Assert.Equal(("alice@destination.test", "GRANT-CIPHER"), (mailbox.Destination.LoginName, mailbox.Destination.ProtectedPassword));
        Assert.Contains("Signed in with Microsoft as alice@destination.test (destination)", mailbox.Events.Last().Description);
        Assert.False(mailbox.AnsweredBySignIns(request));
        // The source's typed answer completes it; the signed-in side is not asked again.
        Assert.Throws<ArgumentException>(() => mailbox.AcceptCredentials(request, null, null, scenario.Now));
        mailbox.AcceptCredentials(request, ("alice", "PASSWORD-CIPHER"), null, scenario.Now);
        Assert.Equal(MailboxStatus.Submitted, mailbox.Status);
        Assert.Equal("GRANT-CIPHER", mailbox.Destination.ProtectedPassword);
    }

    [Fact]
    public void RecordSignIn_SideNotAsked_OrLinkUsed_Refused()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox(sourceKnown: true, destinationKnown: false);
        var request = scenario.Start(mailbox)!.Request;

        Assert.Throws<ArgumentException>(() => mailbox.RecordSignIn(request, MailboxSide.Source, "x@y.test", "G", "Google", scenario.Now));
        mailbox.RecordSignIn(request, MailboxSide.Destination, "alice@destination.test", "G", "Google", scenario.Now);
        Assert.True(mailbox.AnsweredBySignIns(request));
        mailbox.AcceptCredentials(request, null, null, scenario.Now);
        Assert.Throws<MailboxTransitionException>(() => mailbox.RecordSignIn(request, MailboxSide.Destination, "alice@destination.test", "G2", "Google", scenario.Now));
    }

    [Fact]
    public void RejectSignIn_UsesTheLink_FailsNamingTheSide()
    {
        var scenario = new MailboxScenario();
        var mailbox = scenario.NewMailbox(sourceKnown: true, destinationKnown: false);
        var request = scenario.Start(mailbox)!.Request;

        mailbox.RejectSignIn(request, MailboxSide.Destination, "IMAP is disabled for this user", scenario.Pool, scenario.Now);

        Assert.Equal(MailboxStatus.Failed, mailbox.Status);
        Assert.False(request.IsOutstanding);
        Assert.Contains("Destination sign-in refused", mailbox.Failure!.Text);
        Assert.Contains("IMAP is disabled for this user", mailbox.Failure.Text);
    }

    [Theory]
    [InlineData("", "OAuth client id")]
    [InlineData("my client", "not an OAuth client id")]
    public void GoogleUser_InvalidClient_RefusedSayingWhat(string client, string expected)
    {
        var e = Assert.Throws<DomainValidationException>(() => SideSignIn.GoogleUser(client, "CIPHER"));
        Assert.Contains(expected, e.Message);
        Assert.Throws<DomainValidationException>(() => SideSignIn.GoogleUser("1-a.apps.googleusercontent.com", "CIPHER", "http://accounts.example.org/auth"));
        Assert.Throws<InvalidOperationException>(() => SideSignIn.GoogleUser("1-a.apps.googleusercontent.com", "CIPHER").ForEachUser());
    }
}
