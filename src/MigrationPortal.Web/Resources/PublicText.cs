namespace MigrationPortal.Web.Resources;

/// <summary>
/// The text of every page a mailbox's user sees (the secure form, its result pages, the public error page), for
/// <c>IStringLocalizer&lt;PublicText&gt;</c>. The English text is the key and the default; each other language has
/// a <c>PublicText.{culture}.resx</c> beside this file that translates those keys. The admin area is English only.
/// </summary>
public sealed class PublicText;
