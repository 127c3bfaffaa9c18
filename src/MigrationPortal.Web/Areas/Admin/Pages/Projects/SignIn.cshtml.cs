using System.ComponentModel.DataAnnotations;
using System.Text;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Core;
using MigrationPortal.Core.Mailboxes;
using MigrationPortal.Core.Projects;
using MigrationPortal.Data;
using MigrationPortal.Web.Projects.SignIn;

namespace MigrationPortal.Web.Areas.Admin.Pages.Projects;

/// <summary>
/// How the portal signs in to each side's mailboxes: passwords (asked of the users or typed by the admin), a Microsoft 365
/// app (client credentials) or a Google Workspace service account. The secrets are write-only: kept as ciphertext,
/// never shown again, and a blank field keeps the stored one.
/// </summary>
public sealed class SignInModel(PortalDbContext db, IPasswordProtector passwords, Security.AuditLog audit, TimeProvider time,
    Microsoft.Extensions.Options.IOptions<Startup.PortalOptions> options) : PageModel
{
    /// <summary>Mailboxes whose PowerShell lines are shown on the page; the download has them all.</summary>
    public const int PowerShellShown = 20;

    [BindProperty(SupportsGet = true)]
    public int Id { get; set; }

    [BindProperty]
    public SideInput Input { get; set; } = new();

    /// <summary>A certificate this close to its end is pointed out, so it can be renewed before passes fail.</summary>
    public static readonly TimeSpan CertificateRenewal = TimeSpan.FromDays(30);

    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>Where the provider sends the user back after "Sign in with …": registered with the app; null until Portal:PublicBaseUrl is set.</summary>
    public string? RedirectUri => options.Value.PublicBaseUrl is null ? null : Access.UserSignInService.ReturnAddress(options.Value).AbsoluteUri;

    public string ProjectName { get; private set; } = "";
    public Dictionary<MailboxSide, SideView> Sides { get; } = [];

    public sealed class SideInput
    {
        public MailboxSide Side { get; set; }
        public SignInMethod Method { get; set; }

        [StringLength(SideSignIn.MaxIdLength), Display(Name = "Directory (tenant) ID")]
        public string? TenantId { get; set; }

        [StringLength(SideSignIn.MaxIdLength), Display(Name = "Application (client) ID")]
        public string? ClientId { get; set; }

        [StringLength(1024), Display(Name = "Client secret")]
        public string? ClientSecret { get; set; }

        [Display(Name = "Certificate (.pfx, .p12 or PEM, with its private key)")]
        public IFormFile? Certificate { get; set; }

        [StringLength(1024), Display(Name = "Certificate password")]
        public string? CertificatePassword { get; set; }

        [StringLength(SideSignIn.MaxUrlLength), Display(Name = "Authority host")]
        public string? AuthorityHost { get; set; }

        [Display(Name = "Service account key (JSON)")]
        public IFormFile? ServiceAccountKey { get; set; }

        [StringLength(SideSignIn.MaxUrlLength), Display(Name = "Token URL")]
        public string? TokenUrl { get; set; }

        [StringLength(SideSignIn.MaxIdLength), Display(Name = "OAuth client ID")]
        public string? GoogleClientId { get; set; }

        [StringLength(1024), Display(Name = "OAuth client secret")]
        public string? GoogleClientSecret { get; set; }

        [StringLength(SideSignIn.MaxUrlLength), Display(Name = "Authorization URL")]
        public string? AuthorizationUrl { get; set; }
    }

    /// <summary>One side as the page shows it: what is stored, or what was just posted with its problems.</summary>
    public sealed class SideView
    {
        public required MailboxSide Side { get; init; }
        public required ImapEndpoint Endpoint { get; init; }
        public required SideSignIn Stored { get; init; }
        public required SideInput Form { get; init; }
        public List<string> Problems { get; } = [];
        public string? Saved { get; set; }
        public int Mailboxes { get; set; }
        public IReadOnlyList<string> FirstMailboxes { get; set; } = [];
        public string? ServiceAccountClientId { get; set; }

        public string Name => Side == MailboxSide.Source ? "Source" : "Destination";

        public string? CertificateWarning(DateTimeOffset now) => Stored.CertificateNotAfter is not { } end ? null
            : end <= now ? $"The app's certificate {Stored.CertificateThumbprint} expired on {end:yyyy-MM-dd HH:mm} UTC: tokens are refused until a valid one is uploaded here and to the app registration."
            : end - now <= CertificateRenewal ? $"The app's certificate {Stored.CertificateThumbprint} expires on {end:yyyy-MM-dd HH:mm} UTC: upload a new one here and to the app registration before then."
            : null;
        public string Key => Side.ToString().ToLowerInvariant();

        /// <summary>The provider's IMAP server when the side's project endpoint is another one (tests, or a forgotten change).</summary>
        public string? ImapHint => Stored.Method switch
        {
            SignInMethod.Microsoft365App or SignInMethod.Microsoft365User when !Endpoint.Host.Equals(SideSignIn.Microsoft365ImapHost, StringComparison.OrdinalIgnoreCase) =>
                $"Microsoft 365's IMAP server is {SideSignIn.Microsoft365ImapHost}, port 993, TLS; this side's is {Endpoint}. Change it on Edit project unless you mean it.",
            SignInMethod.GoogleServiceAccount or SignInMethod.GoogleUser when !Endpoint.Host.Equals(SideSignIn.GoogleImapHost, StringComparison.OrdinalIgnoreCase) =>
                $"Gmail's IMAP server is {SideSignIn.GoogleImapHost}, port 993, TLS; this side's is {Endpoint}. Change it on Edit project unless you mean it.",
            _ => null,
        };
    }

    public static string MethodName(SignInMethod method) => method switch
    {
        SignInMethod.Microsoft365App => "Microsoft 365 app (client credentials)",
        SignInMethod.GoogleServiceAccount => "Google Workspace service account",
        SignInMethod.Microsoft365User => "Microsoft 365: each user signs in (Sign in with Microsoft)",
        SignInMethod.GoogleUser => "Google: each user signs in (Sign in with Google)",
        _ => "Passwords",
    };

    public async Task<IActionResult> OnGetAsync(CancellationToken ct) => await LoadAsync(null, ct) ? Page() : NotFound();

    public async Task<IActionResult> OnPostSaveAsync(CancellationToken ct)
    {
        var project = await db.Projects.SingleOrDefaultAsync(p => p.Id == Id, ct);
        if (project is null) return NotFound();
        if (!Enum.IsDefined(Input.Side) || !Enum.IsDefined(Input.Method)) return BadRequest();
        var problems = new List<string>();
        SideSignIn? chosen = null;
        if (ModelState.IsValid)
        {
            try
            {
                chosen = await ChooseAsync(project.SignIn(Input.Side), ct);
            }
            catch (DomainValidationException e)
            {
                problems.Add(e.Message);
            }
        }
        else
        {
            problems.AddRange(ModelState.Values.SelectMany(v => v.Errors).Select(e => e.ErrorMessage));
        }
        if (chosen is null)
        {
            await LoadAsync(Input.Side, ct);
            Sides[Input.Side].Problems.AddRange(problems);
            return Page();
        }
        project.SetSignIn(Input.Side, chosen);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            await LoadAsync(Input.Side, ct);
            Sides[Input.Side].Problems.Add("The project was changed meanwhile by another admin. Look at it again, then save.");
            return Page();
        }
        await audit.RecordAsync("Sign-in set", $"project {Id}: {project.Name}", $"{Input.Side}: {chosen.Describe()}", ct);
        TempData["SavedSide"] = Input.Side.ToString();
        TempData["Saved"] = chosen.IsDelegated
            ? $"Saved: each {Input.Side.ToString().ToLowerInvariant()} mailbox's user signs in with {chosen.ProviderName} on the secure form from their next link; mailboxes already signed in keep their grant."
            : chosen.UsesTokens
            ? $"Saved: {Input.Side.ToString().ToLowerInvariant()} mailboxes sign in as {chosen.Describe()} from their next connection; no password is asked for this side."
            : $"Saved: {Input.Side.ToString().ToLowerInvariant()} mailboxes sign in with passwords.";
        return RedirectToPage(null, null, new { id = Id }, Input.Side.ToString().ToLowerInvariant());
    }

    /// <summary>All the project's PowerShell lines for a Microsoft 365 side, as a script to download.</summary>
    public async Task<IActionResult> OnGetPowerShellAsync(MailboxSide side, CancellationToken ct)
    {
        var project = await db.Projects.AsNoTracking().SingleOrDefaultAsync(p => p.Id == Id, ct);
        if (project is null || !Enum.IsDefined(side)) return NotFound();
        var signIn = project.SignIn(side);
        if (signIn.Method != SignInMethod.Microsoft365App) return NotFound();
        var script = ExchangePowerShell.Script(signIn.TenantId!, signIn.ClientId!, await MailboxUsersAsync(side, int.MaxValue, ct));
        return File(new UTF8Encoding(encoderShouldEmitUTF8Identifier: true).GetPreamble().Concat(Encoding.UTF8.GetBytes(script)).ToArray(),
            "text/plain; charset=utf-8", $"grant-{side.ToString().ToLowerInvariant()}-mailboxes.ps1");
    }

    /// <summary>The posted choice as the side's sign-in; a blank secret keeps the stored one when the method and its ids stay.</summary>
    private async Task<SideSignIn> ChooseAsync(SideSignIn stored, CancellationToken ct)
    {
        switch (Input.Method)
        {
            case SignInMethod.Microsoft365App or SignInMethod.Microsoft365User:
            {
                var app = await ChooseMicrosoftAppAsync(stored, ct);
                return Input.Method == SignInMethod.Microsoft365User ? app.ForEachUser() : app;
            }
            case SignInMethod.GoogleUser:
            {
                var client = SideSignIn.GoogleClientId(Input.GoogleClientId);
                if (!string.IsNullOrEmpty(Input.GoogleClientSecret))
                    return SideSignIn.GoogleUser(client, passwords.Protect(Input.GoogleClientSecret), Input.AuthorizationUrl, Input.TokenUrl);
                if (stored.Method == SignInMethod.GoogleUser && stored.ClientId == client)
                    return SideSignIn.GoogleUser(client, stored.ProtectedSecret!, Input.AuthorizationUrl, Input.TokenUrl);
                throw new DomainValidationException("The OAuth client secret is required (Google Cloud console > APIs & Services > Credentials > the Web application client).");
            }
            case SignInMethod.GoogleServiceAccount:
            {
                if (Input.ServiceAccountKey is not { Length: > 0 } file)
                {
                    if (stored.Method == SignInMethod.GoogleServiceAccount)
                        return SideSignIn.GoogleServiceAccount(stored.ClientId!, stored.ProtectedSecret!, Input.TokenUrl);
                    throw new DomainValidationException("Choose the service account's JSON key file.");
                }
                if (file.Length > ServiceAccountKey.MaxBytes)
                    throw new DomainValidationException($"The key file is larger than {ServiceAccountKey.MaxBytes / 1024} KB: it is not a service account key.");
                string json;
                using (var reader = new StreamReader(file.OpenReadStream(), Encoding.UTF8))
                    json = await reader.ReadToEndAsync(ct);
                var key = ServiceAccountKey.Parse(json);
                return SideSignIn.GoogleServiceAccount(key.ClientEmail, passwords.Protect(json), Input.TokenUrl);
            }
            default:
                return SideSignIn.Password;
        }
    }

    /// <summary>The posted Microsoft 365 app: a new secret or certificate, or the stored one kept for the same app.</summary>
    private async Task<SideSignIn> ChooseMicrosoftAppAsync(SideSignIn stored, CancellationToken ct)
    {
        var secret = Input.ClientSecret;
        if (!string.IsNullOrEmpty(secret) && Input.Certificate is { Length: > 0 })
            throw new DomainValidationException("Give a client secret or a certificate, not both.");
        if (Input.Certificate is { Length: > 0 } file)
        {
            if (file.Length > AppCertificate.MaxBytes)
                throw new DomainValidationException($"The certificate file is larger than {AppCertificate.MaxBytes / 1024} KB: it is not a certificate.");
            using var bytes = new MemoryStream();
            await file.CopyToAsync(bytes, ct);
            var (pkcs12, thumbprint, notAfter) = AppCertificate.Read(bytes.ToArray(), Input.CertificatePassword);
            return SideSignIn.Microsoft365AppCertificate(Input.TenantId ?? "", Input.ClientId ?? "", passwords.Protect(pkcs12),
                thumbprint, notAfter, Input.AuthorityHost);
        }
        if (!string.IsNullOrEmpty(secret))
            return SideSignIn.Microsoft365App(Input.TenantId ?? "", Input.ClientId ?? "", passwords.Protect(secret), Input.AuthorityHost);
        // Neither given: the stored secret or certificate stays, for the same app.
        if (stored.Method is SignInMethod.Microsoft365App or SignInMethod.Microsoft365User && stored.ClientId == (Guid.TryParse(Input.ClientId, out var id) ? id.ToString() : null))
            return stored.UsesCertificate
                ? SideSignIn.Microsoft365AppCertificate(Input.TenantId ?? "", Input.ClientId ?? "", stored.ProtectedSecret!,
                    stored.CertificateThumbprint!, stored.CertificateNotAfter!.Value, Input.AuthorityHost)
                : SideSignIn.Microsoft365App(Input.TenantId ?? "", Input.ClientId ?? "", stored.ProtectedSecret!, Input.AuthorityHost);
        throw new DomainValidationException("A client secret (its Value, copied when it was made under Certificates & secrets) or a certificate with its private key is required.");
    }

    private async Task<bool> LoadAsync(MailboxSide? posted, CancellationToken ct)
    {
        var project = await db.Projects.AsNoTracking().SingleOrDefaultAsync(p => p.Id == Id, ct);
        if (project is null) return false;
        ProjectName = project.Name;
        foreach (var side in new[] { MailboxSide.Source, MailboxSide.Destination })
        {
            var stored = project.SignIn(side);
            var view = new SideView
            {
                Side = side,
                Endpoint = side == MailboxSide.Source ? project.Source : project.Destination,
                Stored = stored,
                Form = side == posted ? Input : new SideInput
                {
                    Side = side,
                    Method = stored.Method,
                    TenantId = stored.TenantId,
                    ClientId = stored.Method is SignInMethod.Microsoft365App or SignInMethod.Microsoft365User ? stored.ClientId : null,
                    AuthorityHost = stored.Method is SignInMethod.Microsoft365App or SignInMethod.Microsoft365User ? stored.TokenEndpoint : null,
                    TokenUrl = stored.Method is SignInMethod.GoogleServiceAccount or SignInMethod.GoogleUser ? stored.TokenEndpoint : null,
                    GoogleClientId = stored.Method == SignInMethod.GoogleUser ? stored.ClientId : null,
                    AuthorizationUrl = stored.AuthorizationEndpoint,
                },
            };
            if (stored.Method == SignInMethod.Microsoft365App)
            {
                view.Mailboxes = await db.Mailboxes.CountAsync(m => m.ProjectId == Id, ct);
                view.FirstMailboxes = await MailboxUsersAsync(side, PowerShellShown, ct);
            }
            if (stored.Method == SignInMethod.GoogleServiceAccount)
                view.ServiceAccountClientId = ReadClientId(stored);
            Sides[side] = view;
        }
        if (TempData["Saved"] is string saved && Enum.TryParse<MailboxSide>(TempData["SavedSide"] as string, out var savedSide))
            Sides[savedSide].Saved = saved;
        return true;
    }

    // The numeric client id the Workspace admin enters for domain-wide delegation; not a secret, read from the stored key.
    private string? ReadClientId(SideSignIn stored)
    {
        try
        {
            return ServiceAccountKey.Parse(passwords.Unprotect(stored.ProtectedSecret!)).ClientId;
        }
        catch (Exception e) when (e is DomainValidationException or System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }

    private async Task<List<string>> MailboxUsersAsync(MailboxSide side, int take, CancellationToken ct)
    {
        var query = db.Mailboxes.AsNoTracking().Where(m => m.ProjectId == Id).OrderBy(m => m.Id);
        var users = side == MailboxSide.Source
            ? await query.Select(m => new { m.Source.LoginName, m.Source.Email }).Take(take).ToListAsync(ct)
            : await query.Select(m => new { m.Destination.LoginName, m.Destination.Email }).Take(take).ToListAsync(ct);
        return users.Select(u => u.LoginName.Length > 0 ? u.LoginName : u.Email).ToList();
    }
}
