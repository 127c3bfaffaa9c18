using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using MigrationPortal.Data;
using MigrationPortal.Web.Areas.Admin.Pages.Outbox;

namespace MigrationPortal.Web.Areas.Admin.Pages.Mailboxes;

/// <summary>The emails queued for one mailbox, with the Outbox page's columns, under an "Emails" heading.</summary>
public sealed class OutboxMessagesViewComponent(PortalDbContext db) : ViewComponent
{
    public async Task<IViewComponentResult> InvokeAsync(int mailboxId)
    {
        var rows = await OutboxRow.Latest(db.OutboxMessages.Where(m => m.MailboxId == mailboxId)).ToListAsync(HttpContext.RequestAborted);
        return View("~/Areas/Admin/Pages/Mailboxes/_OutboxMessages.cshtml",
            new OutboxTable("mailbox-outbox", "Emails", rows, "No email has been queued for this mailbox.", LinkMailbox: false));
    }
}
