using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MigrationPortal.Core;
using MigrationPortal.Core.Projects;
using MigrationPortal.Data;
using MigrationPortal.Email.Templates;
using MigrationPortal.Web.Startup;
using MimeKit;

namespace MigrationPortal.Web.Areas.Admin.Pages.Projects;

/// <summary>
/// The project's emails to its users: their language, and for each of the three (request, completion, failure) the
/// project's own subject and text, with placeholders, previewed with example values before it is saved.
/// </summary>
public sealed partial class EmailsModel(PortalDbContext db, Security.AuditLog audit, TimeProvider time, IOptions<PortalOptions> options) : PageModel
{
    public static readonly UserEmailKind[] Kinds = [UserEmailKind.Request, UserEmailKind.Completed, UserEmailKind.Failed];

    public static readonly IReadOnlyDictionary<string, string> LanguageNames = new Dictionary<string, string> { ["en"] = "English", ["de"] = "Deutsch (German)" };

    [BindProperty(SupportsGet = true)]
    public int Id { get; set; }

    public string ProjectName { get; private set; } = "";
    public string Language { get; private set; } = "en";

    /// <summary>What each form shows: the project's wording, the default, or what was just posted.</summary>
    public Dictionary<UserEmailKind, Editor> Editors { get; } = [];

    public sealed class Editor
    {
        public required UserEmailKind Kind { get; init; }
        public required string Subject { get; set; }
        public required string Body { get; set; }
        public bool Custom { get; set; }
        public List<string> Problems { get; } = [];
        public Preview? Preview { get; set; }
        public string? Saved { get; set; }
    }

    /// <summary>The email as the user would get it, with example values: its subject, its text part and its HTML part's body.</summary>
    public sealed record Preview(string Subject, string Text, string HtmlBody);

    public static string Title(UserEmailKind kind) => kind switch
    {
        UserEmailKind.Request => "Credential request (and its reminders)",
        UserEmailKind.Completed => "Mailbox copied",
        _ => "Migration failed",
    };

    public async Task<IActionResult> OnGetAsync(CancellationToken ct) => await LoadAsync(ct) ? Page() : NotFound();

    public async Task<IActionResult> OnPostLanguageAsync(string? language, CancellationToken ct)
    {
        var project = await db.Projects.FindAsync([Id], ct);
        if (project is null) return NotFound();
        try
        {
            project.SetUserLanguage(language ?? "");
            await db.SaveChangesAsync(ct);
            await audit.RecordAsync("Users' language set", $"project {Id}: {project.Name}", language, ct);
            return RedirectToPage(new { id = Id });
        }
        catch (DomainValidationException e)
        {
            await LoadAsync(ct);
            ModelState.AddModelError(string.Empty, e.Message);
            return Page();
        }
    }

    public async Task<IActionResult> OnPostPreviewAsync(UserEmailKind kind, string? subject, string? body, CancellationToken ct)
    {
        if (!await LoadAsync(ct)) return NotFound();
        var editor = Posted(kind, subject, body);
        if (editor is not null && Check(editor)) editor.Preview = Render(new UserEmailTemplate(editor.Subject, editor.Body), kind);
        return Page();
    }

    public async Task<IActionResult> OnPostSaveAsync(UserEmailKind kind, string? subject, string? body, CancellationToken ct)
    {
        if (!await LoadAsync(ct)) return NotFound();
        var editor = Posted(kind, subject, body);
        if (editor is null || !Check(editor)) return Page();
        var existing = await db.EmailTemplates.SingleOrDefaultAsync(t => t.ProjectId == Id && t.Kind == kind, ct);
        var actor = User.Identity?.Name ?? "admin";
        try
        {
            if (existing is null) db.EmailTemplates.Add(new EmailTemplate(Id, kind, editor.Subject, editor.Body, actor, time.GetUtcNow()));
            else existing.Change(editor.Subject, editor.Body, actor, time.GetUtcNow());
            await db.SaveChangesAsync(ct);
        }
        catch (DomainValidationException e)
        {
            editor.Problems.Add(e.Message);
            return Page();
        }
        catch (DbUpdateException) when (existing is null)
        {
            // Another admin saved this email's first wording at the same moment: theirs stands, this one is shown again.
            editor.Problems.Add("Another admin saved this email meanwhile. Reload the page to see their wording, then make your change again.");
            return Page();
        }
        await audit.RecordAsync("Email wording saved", $"project {Id}: {ProjectName}", Title(kind), ct);
        TempData["SavedKind"] = kind.ToString();
        TempData["Saved"] = "Saved: emails from now on use this wording.";
        return RedirectToPage(null, null, new { id = Id }, kind.ToString());
    }

    public async Task<IActionResult> OnPostDefaultAsync(UserEmailKind kind, CancellationToken ct)
    {
        if (!Kinds.Contains(kind)) return BadRequest();
        var removed = await db.EmailTemplates.Where(t => t.ProjectId == Id && t.Kind == kind).ExecuteDeleteAsync(ct);
        if (removed > 0) await audit.RecordAsync("Email wording reset to the default", $"project {Id}", Title(kind), ct);
        TempData["SavedKind"] = kind.ToString();
        TempData["Saved"] = "The default wording is used from now on.";
        return RedirectToPage(null, null, new { id = Id }, kind.ToString());
    }

    private async Task<bool> LoadAsync(CancellationToken ct)
    {
        var project = await db.Projects.AsNoTracking().SingleOrDefaultAsync(p => p.Id == Id, ct);
        if (project is null) return false;
        ProjectName = project.Name;
        Language = project.UserLanguage;
        var custom = await db.EmailTemplates.AsNoTracking().Where(t => t.ProjectId == Id).ToDictionaryAsync(t => t.Kind, ct);
        var culture = CultureInfo.GetCultureInfo(Language);
        foreach (var kind in Kinds)
        {
            var wording = custom.TryGetValue(kind, out var t) ? new UserEmailTemplate(t.Subject, t.Body) : UserEmailTemplate.Default(kind, culture);
            Editors[kind] = new Editor { Kind = kind, Subject = wording.Subject, Body = wording.Body, Custom = t is not null };
        }
        if (TempData["Saved"] is string saved && Enum.TryParse<UserEmailKind>(TempData["SavedKind"] as string, out var savedKind) && Editors.TryGetValue(savedKind, out var done))
            done.Saved = saved;
        return true;
    }

    private Editor? Posted(UserEmailKind kind, string? subject, string? body)
    {
        if (!Editors.TryGetValue(kind, out var editor)) return null;
        editor.Subject = subject ?? "";
        editor.Body = body ?? "";
        return editor;
    }

    /// <summary>The rules saving applies (the wording's own, then its placeholders), so a preview never shows what could not be saved.</summary>
    private bool Check(Editor editor)
    {
        try
        {
            _ = new EmailTemplate(Id, editor.Kind, editor.Subject, editor.Body, "", time.GetUtcNow());
        }
        catch (DomainValidationException e)
        {
            editor.Problems.Add(e.Message);
        }
        editor.Problems.AddRange(UserEmailTemplate.Problems(editor.Kind, editor.Subject, editor.Body));
        return editor.Problems.Count == 0;
    }

    private Preview Render(UserEmailTemplate template, UserEmailKind kind)
    {
        var now = time.GetUtcNow();
        var baseUrl = options.Value.PublicBaseUrl?.TrimEnd('/') ?? "https://migrate.example.org";
        var values = new UserEmailValues("user@example.org", ProjectName, "user@source.example", "user@destination.example",
            new Uri(baseUrl + "/access/EXAMPLE-LINK"), now + options.Value.CredentialLinkLifetime, AsksSource: true,
            Messages: 12_345, Bytes: 1_234_567_890);
        var message = template.Compose(values, CultureInfo.GetCultureInfo(Language));
        var html = message.HtmlBody ?? "";
        // The HTML part is the renderer's own: every text and value in it is encoded, so its body can be shown as it is.
        var body = BodyContent().Match(html) is { Success: true } m ? m.Groups[1].Value : "";
        return new Preview(message.Subject ?? "", message.TextBody ?? "", body);
    }

    [GeneratedRegex("<body[^>]*>(.*)</body>", RegexOptions.Singleline)]
    private static partial Regex BodyContent();
}
