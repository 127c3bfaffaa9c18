using System.Security.Cryptography;
using System.Text;

namespace MigrationPortal.Web.Areas.Admin.Pages.Projects;

/// <summary>
/// The dashboard's only script: every 2 seconds (the table's data-progress-every, Portal:DashboardRefresh) it asks the page's Progress handler where the running passes stand and
/// moves their progress bars; when a pass begins or ends it reloads the page (unless mailboxes are checked, so a
/// selection is never lost). Inline, so nothing is downloaded for it; the policy allows exactly this text by its hash.
/// Without script the page shows the progress as it was when loaded.
/// </summary>
public static class DashboardProgressScript
{
    public const string Source = """
        (function () {
          var table = document.querySelector('table.mailboxes[data-progress-url]');
          if (!table || !window.fetch) return;
          var url = table.getAttribute('data-progress-url');
          var every = parseInt(table.getAttribute('data-progress-every'), 10) || 2000;
          function shown() {
            return Array.prototype.map.call(document.querySelectorAll('tr[data-active]'), function (r) {
              return r.getAttribute('data-mailbox-id') + ':' + r.getAttribute('data-active');
            }).sort().join();
          }
          function show(row, key, done, found, text) {
            var bar = row.querySelector('progress[data-of="' + key + '"]');
            if (bar && found !== null) { bar.max = Math.max(found, 1); bar.value = Math.min(done, bar.max); }
            var label = row.querySelector('[data-text="' + key + '"]');
            if (label) label.textContent = text;
          }
          function tick() {
            fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
              .then(function (r) { return r.ok ? r.json() : null; })
              .then(function (data) {
                if (!data) return;
                var now = data.active.map(function (m) { return m.id + ':' + m.status; }).sort().join();
                if (now !== shown() && !document.querySelector('input[name="selected"]:checked')) {
                  location.reload();
                  return;
                }
                data.mailboxes.forEach(function (m) {
                  var row = document.querySelector('tr[data-migrating][data-mailbox-id="' + m.id + '"]');
                  if (!row) return;
                  show(row, 'messages', m.messagesCopied, m.messagesFound, m.messagesText);
                  show(row, 'bytes', m.bytesCopied, m.bytesFound, m.bytesText);
                  var throttled = row.querySelector('[data-text="throttled"]');
                  if (throttled) throttled.textContent = m.throttledText;
                });
              })
              .catch(function () { })
              .then(function () { setTimeout(tick, every); });
          }
          setTimeout(tick, every);
        })();
        """;

    /// <summary>The script's CSP source expression.</summary>
    public static readonly string CspHash = $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Source)))}'";
}
