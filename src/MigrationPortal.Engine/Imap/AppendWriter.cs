using System.Buffers;
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using MailKit;
using MigrationPortal.Core.Projects;

namespace MigrationPortal.Engine.Imap;

/// <summary>One message to append: the source's bytes untouched, with its flags, keywords and INTERNALDATE.</summary>
public sealed record AppendItem(MessageBuffer Body, MessageFlags Flags, IReadOnlyCollection<string> Keywords, DateTimeOffset? InternalDate);

/// <summary>
/// What became of one appended message: its UID in the destination (when the server has UIDPLUS), or the server's
/// refusal. <paramref name="KeywordsDropped"/>: the server refused the message with its keywords and took it without
/// them (those keywords are not on the copy).
/// </summary>
public readonly record struct AppendOutcome(uint? Uid, string? Refusal, IReadOnlyList<string>? KeywordsDropped = null)
{
    public bool Appended => Refusal is null;
}

/// <summary>A destination folder as SELECT/EXAMINE describes it: where its UIDs stand and which flags it keeps.</summary>
public sealed record DestinationFolder(string Name, uint UidValidity, uint UidNext, MessageFlags PermanentFlags, bool AnyKeyword, IReadOnlySet<string> Keywords)
{
    public bool Keeps(string keyword) => AnyKeyword || Keywords.Contains(keyword);
}

/// <summary>
/// The connection broke, timed out, or the server answered something that is not IMAP, or refused a command in a way
/// that is no message's fault (a provider's throttling): the pass retries or ends, it does not list messages as refused.
/// </summary>
/// <param name="serverText">The server's own words, when it said any (what a provider's throttling is recognised by).</param>
public sealed class AppendWriterException(string message, Exception? inner = null, string? serverText = null) : IOException(message, inner)
{
    public string? ServerText { get; } = serverText;
}

/// <summary>
/// The destination side's data path: APPEND of the source's exact bytes. MailKit's AppendAsync only takes a parsed
/// MimeMessage (every message parsed and serialised again, CRLF forced, not byte-identical for some malformed mail:
/// MimeKit issues 499, 227, 251) and sends one command at a time, so this writer speaks the few commands it needs
/// itself: login, SELECT, APPEND with MULTIAPPEND (RFC 3502, atomic) and LITERAL+ (RFC 7888) when offered, the
/// APPENDUID answer (RFC 4315), and UID FETCH RFC822.SIZE to verify what was stored. Everything else stays MailKit's.
/// </summary>
public sealed partial class AppendWriter : IAsyncDisposable
{
    /// <summary>Most messages and bytes in one APPEND command (RFC 3502's atomic unit, and what a refusal makes us retry one by one).</summary>
    public const int MaxMessagesPerCommand = 50;
    public const long MaxBytesPerCommand = 8 * 1024 * 1024;

    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly BufferedStream _out;
    private readonly ResponseReader _in;
    private readonly TimeSpan _timeout;
    private readonly string _where;
    private int _tag;

    private AppendWriter(Socket socket, Stream stream, TimeSpan timeout, string where)
    {
        _socket = socket;
        _stream = stream;
        _out = new BufferedStream(stream, 64 * 1024);
        _in = new ResponseReader(stream);
        _timeout = timeout;
        _where = where;
    }

    public IReadOnlySet<string> Capabilities { get; private set; } = new HashSet<string>();
    public bool MultiAppend => Capabilities.Contains("MULTIAPPEND");
    public bool LiteralPlus => Capabilities.Contains("LITERAL+");
    public bool UidPlus => Capabilities.Contains("UIDPLUS");

    /// <summary>The largest message the server takes (APPENDLIMIT=n, RFC 7889); null when it does not say.</summary>
    public long? AppendLimit => Capabilities.Select(c => c.StartsWith("APPENDLIMIT=", StringComparison.Ordinal)
        && long.TryParse(c["APPENDLIMIT=".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : (long?)null).Max();

    /// <summary>Connects with the endpoint's TLS mode (the same certificate rules as every other connection) and logs in once.</summary>
    /// <exception cref="ImapConnectException">Refused or unreachable.</exception>
    internal static async Task<AppendWriter> ConnectAsync(ImapEndpoint endpoint, ImapLogin login, TimeSpan timeout,
        RemoteCertificateValidationCallback? certificates, CancellationToken ct)
    {
        var where = string.Create(CultureInfo.InvariantCulture, $"{endpoint.Host}:{endpoint.Port}");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        AppendWriter? writer = null;
        try
        {
            await socket.ConnectAsync(endpoint.Host, endpoint.Port, deadline.Token);
            Stream stream = new NetworkStream(socket, ownsSocket: false);
            if (endpoint.Security == TlsMode.Tls)
                stream = await StartTlsAsync(stream, endpoint.Host, certificates, deadline.Token);
            writer = new AppendWriter(socket, stream, timeout, where);
            var greeting = await writer._in.ReadAsync(deadline.Token);
            if (!greeting.StartsWith("* OK", StringComparison.OrdinalIgnoreCase))
                throw new ImapConnectException(ImapConnectFailure.Unreachable, $"{where} refused the connection: {greeting}");
            writer.Capabilities = ParseCapabilities(greeting) ?? await writer.CapabilityAsync(deadline.Token);
            if (endpoint.Security == TlsMode.StartTls)
            {
                if (!writer.Capabilities.Contains("STARTTLS"))
                    throw new ImapConnectException(ImapConnectFailure.Unreachable, $"{where} does not offer STARTTLS; the password was not sent.");
                await writer.CommandAsync("STARTTLS", deadline.Token);
                // The plain writer is dropped, not disposed: its stream is now the TLS stream's inner stream.
                var tls = await StartTlsAsync(stream, endpoint.Host, certificates, deadline.Token);
                writer = new AppendWriter(socket, tls, timeout, where);
                writer.Capabilities = await writer.CapabilityAsync(deadline.Token);
            }
            if (login.IsBearer)
                await writer.LoginWithTokenAsync(login, endpoint, deadline.Token);
            else
                await writer.LoginAsync(login, deadline.Token);
            return writer;
        }
        catch (ImapConnectException)
        {
            Close(writer, socket);
            throw;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Close(writer, socket);
            throw new ImapConnectException(ImapConnectFailure.Unreachable, string.Create(CultureInfo.InvariantCulture,
                $"{where} did not answer within {timeout.TotalSeconds:0.#} s."));
        }
        catch (Exception e) when (e is SocketException or IOException or System.Security.Authentication.AuthenticationException)
        {
            Close(writer, socket);
            throw new ImapConnectException(ImapConnectFailure.Unreachable, $"The connection to {where} failed: {e.Message}");
        }
        catch
        {
            Close(writer, socket);
            throw;
        }
    }

    private static void Close(AppendWriter? writer, Socket socket)
    {
        writer?.Dispose();
        socket.Dispose();
    }

    private static async Task<Stream> StartTlsAsync(Stream plain, string host, RemoteCertificateValidationCallback? certificates, CancellationToken ct)
    {
        var tls = new SslStream(plain, leaveInnerStreamOpen: false, certificates);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = host,
            // As MailKit checks for the pass's other connections (its default): a revoked certificate is refused on
            // every connection, not only on those (SslStream's own default would not look).
            CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.Online,
        }, ct);
        return tls;
    }

    // ----------------------------------------------------------------- login

    private async Task LoginAsync(ImapLogin login, CancellationToken ct)
    {
        // One attempt, as the MailKit connection makes: PLAIN when offered (the password's UTF-8 bytes as typed), else LOGIN.
        string tag;
        if (Capabilities.Contains("AUTH=PLAIN"))
        {
            var plain = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{login.Login}\0{login.Password}"));
            if (Capabilities.Contains("SASL-IR"))
            {
                tag = await SendAsync($"AUTHENTICATE PLAIN {plain}", ct);
            }
            else
            {
                tag = await SendAsync("AUTHENTICATE PLAIN", ct);
                var go = await _in.ReadAsync(ct);
                if (go.StartsWith('+'))
                    await WriteLineAsync(plain, ct);
                else
                    throw Refused(go, tag);
            }
        }
        else if (!Capabilities.Contains("LOGINDISABLED"))
        {
            tag = NextTag();
            await WriteAsciiAsync($"{tag} LOGIN ", ct);
            await WriteStringAsync(login.Login, ct);
            await WriteAsciiAsync(" ", ct);
            await WriteStringAsync(login.Password, ct);
            await WriteLineAsync("", ct);
        }
        else
        {
            throw new ImapConnectException(ImapConnectFailure.Unreachable, $"{_where} offers no password login (neither AUTH=PLAIN nor LOGIN).");
        }
        var answer = await ReadTaggedAsync(tag, null, ct);
        if (!answer.Ok)
            throw new ImapConnectException(ImapConnectFailure.Rejected, answer.Text.Replace(login.Password, "***", StringComparison.Ordinal));
        Capabilities = ParseCapabilities(answer.Line) ?? await CapabilityAsync(ct);

        ImapConnectException Refused(string line, string t) =>
            new(ImapConnectFailure.Rejected, line.StartsWith(t + " ", StringComparison.Ordinal) ? line[(t.Length + 1)..] : line);
    }

    /// <summary>
    /// AUTHENTICATE XOAUTH2 or OAUTHBEARER, written here because this writer is our own protocol client (MailKit's SASL
    /// classes need MailKit's connection). One attempt, the initial response inline when the server has SASL-IR.
    /// XOAUTH2 is Google's and Microsoft's format; OAUTHBEARER is RFC 7628's GS2 header with the host and port.
    /// </summary>
    private async Task LoginWithTokenAsync(ImapLogin login, ImapEndpoint endpoint, CancellationToken ct)
    {
        var name = ImapLogin.SaslName(login.Mechanism);
        if (!Capabilities.Contains("AUTH=" + name))
            throw new ImapConnectException(ImapConnectFailure.Unreachable,
                $"{_where} does not offer AUTH={name}, so the portal closed the connection without sending the access token.");
        var message = login.Mechanism == ImapAuthMechanism.XOAuth2
            ? $"user={login.Login}\u0001auth=Bearer {login.Password}\u0001\u0001"
            : string.Create(CultureInfo.InvariantCulture,
                $"n,a={GsSaslName(login.Login)},\u0001host={endpoint.Host}\u0001port={endpoint.Port}\u0001auth=Bearer {login.Password}\u0001\u0001");
        var initial = Convert.ToBase64String(Encoding.UTF8.GetBytes(message));

        string tag;
        if (Capabilities.Contains("SASL-IR"))
        {
            tag = await SendAsync($"AUTHENTICATE {name} {initial}", ct);
        }
        else
        {
            tag = await SendAsync($"AUTHENTICATE {name}", ct);
            var go = await _in.ReadAsync(ct);
            if (!go.StartsWith('+'))
                throw new ImapConnectException(ImapConnectFailure.Rejected, Redacted(Words(go, tag)));
            await WriteLineAsync(initial, ct);
        }

        // A refused token is answered with a challenge carrying the server's JSON error (RFC 7628 3.2.2, Google's
        // XOAUTH2 likewise); the exchange must be finished before the tagged NO comes: XOAUTH2 with an empty line,
        // OAUTHBEARER with the dummy ^A response (RFC 7628 3.2.3).
        string? status = null;
        string line;
        while (true)
        {
            line = await _in.ReadAsync(ct);
            if (line.StartsWith(tag + " ", StringComparison.Ordinal)) break;
            if (line.StartsWith("* BYE", StringComparison.OrdinalIgnoreCase))
                throw new ImapConnectException(ImapConnectFailure.Rejected, Redacted($"{_where} closed the connection: {line[5..].Trim()}"));
            if (line.StartsWith('+'))
            {
                status ??= ErrorStatus(line[1..].Trim());
                await WriteLineAsync(login.Mechanism == ImapAuthMechanism.XOAuth2 ? "" : Convert.ToBase64String([0x01]), ct);
            }
        }
        var answer = ToTagged(line, tag);
        if (!answer.Ok)
            throw new ImapConnectException(ImapConnectFailure.Rejected,
                Redacted(status is null ? answer.Text : $"{answer.Text} (the token was refused: {status})"));
        Capabilities = ParseCapabilities(answer.Line) ?? await CapabilityAsync(ct);

        string Redacted(string text) => text.Replace(login.Password, "***", StringComparison.Ordinal);
    }

    private static string Words(string line, string tag) =>
        line.StartsWith(tag + " ", StringComparison.Ordinal) ? line[(tag.Length + 1)..] : line;

    /// <summary>RFC 7628's saslname: the user as the GS2 header carries it, ',' and '=' escaped.</summary>
    internal static string GsSaslName(string user) => user.Replace("=", "=3D", StringComparison.Ordinal).Replace(",", "=2C", StringComparison.Ordinal);

    /// <summary>The status and scheme of a server's JSON error challenge, e.g. "status 401, schemes bearer"; null when it is not one.</summary>
    private static string? ErrorStatus(string base64)
    {
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(Convert.FromBase64String(base64));
            if (json.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object) return null;
            var parts = json.RootElement.EnumerateObject()
                .Where(p => p.Name is "status" or "schemes" or "scope" && p.Value.ValueKind is System.Text.Json.JsonValueKind.String or System.Text.Json.JsonValueKind.Number)
                .Select(p => $"{p.Name} {p.Value}");
            var text = string.Join(", ", parts);
            return text.Length is > 0 and <= 200 ? text : null;
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>A login or password as an IMAP string: quoted when it can be, a literal otherwise (non-ASCII, quotes, CR/LF).</summary>
    private async Task WriteStringAsync(string value, CancellationToken ct)
    {
        if (value.Length > 0 && value.All(c => c is >= ' ' and <= '~' and not '"' and not '\\'))
        {
            await WriteAsciiAsync($"\"{value}\"", ct);
            return;
        }
        var bytes = Encoding.UTF8.GetBytes(value);
        if (LiteralPlus)
        {
            await WriteAsciiAsync($"{{{bytes.Length}+}}\r\n", ct);
        }
        else
        {
            await WriteAsciiAsync($"{{{bytes.Length}}}\r\n", ct);
            await _out.FlushAsync(ct);
            var go = await _in.ReadAsync(ct);
            if (!go.StartsWith('+')) throw new AppendWriterException($"{_where} refused the login: {go}");
        }
        await _out.WriteAsync(bytes, ct);
    }

    private async Task<IReadOnlySet<string>> CapabilityAsync(CancellationToken ct)
    {
        var tag = await SendAsync("CAPABILITY", ct);
        HashSet<string>? found = null;
        var answer = await ReadTaggedAsync(tag, line =>
        {
            if (line.StartsWith("* CAPABILITY ", StringComparison.OrdinalIgnoreCase))
                found = [.. line["* CAPABILITY ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(c => c.ToUpperInvariant())];
        }, ct);
        if (!answer.Ok) throw new AppendWriterException($"{_where} refused CAPABILITY: {answer.Text}");
        return found ?? ParseCapabilities(answer.Line) ?? new HashSet<string>();
    }

    private static HashSet<string>? ParseCapabilities(string line)
    {
        var match = CapabilityCode().Match(line);
        return match.Success
            ? [.. match.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(c => c.ToUpperInvariant())]
            : null;
    }

    // ----------------------------------------------------------------- folders

    /// <summary>
    /// Selects the folder to learn its UIDs and the flags it keeps; the writer only appends to it and reads the sizes of
    /// what it appended, never changes a message. SELECT, not EXAMINE: Courier refuses an APPEND into the folder the
    /// connection has open read-only ("Current box is selected READ-ONLY."), and a read-only folder's PERMANENTFLAGS are
    /// empty (RFC 3501 7.1), so only SELECT says which flags and keywords the copies can keep.
    /// </summary>
    public Task<DestinationFolder> SelectAsync(string folderName, CancellationToken ct) => TimedAsync(() => SelectFolderAsync(folderName, ct), ct);

    private async Task<DestinationFolder> SelectFolderAsync(string folderName, CancellationToken ct)
    {
        using var deadline = Deadline(ct);
        uint uidValidity = 0, uidNext = 0;
        string? flags = null, permanent = null;
        var tag = NextTag();
        await WriteAsciiAsync($"{tag} SELECT ", deadline.Token);
        await WriteMailboxAsync(folderName, deadline.Token);
        await WriteLineAsync("", deadline.Token);
        var answer = await ReadTaggedAsync(tag, line =>
        {
            if (Code(line, "UIDVALIDITY") is { } v) uidValidity = uint.Parse(v, CultureInfo.InvariantCulture);
            else if (Code(line, "UIDNEXT") is { } n) uidNext = uint.Parse(n, CultureInfo.InvariantCulture);
            else if (PermanentFlagsCode().Match(line) is { Success: true } p) permanent = p.Groups[1].Value;
            else if (line.StartsWith("* FLAGS (", StringComparison.OrdinalIgnoreCase)) flags = line["* FLAGS (".Length..].TrimEnd(')');
        }, deadline.Token);
        if (!answer.Ok) throw new AppendWriterException($"{_where} could not open {folderName}: {answer.Text}", serverText: answer.Text);
        // Courier's SELECT says no UIDNEXT (RFC 3501 makes it a SHOULD): asked with STATUS, or a batch's journal would
        // start at 0 and a crash's recovery would look at every message of the destination folder.
        if (uidNext == 0) uidNext = await StatusUidNextAsync(folderName, deadline.Token) ?? 0;
        // Without PERMANENTFLAGS every flag in FLAGS is permanent (RFC 3501 7.1); a folder the server keeps read-only lists none.
        var kept = (permanent is { Length: > 0 } ? permanent : flags ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var system = MessageFlags.None;
        var keywords = new HashSet<string>(StringComparer.Ordinal);
        var any = kept.Contains("\\*") || permanent is null || permanent.Length == 0;
        foreach (var flag in kept)
        {
            if (SystemFlag(flag) is { } f) system |= f;
            else if (!flag.StartsWith('\\')) keywords.Add(flag);
        }
        if (system == MessageFlags.None) system = MessageFlags.Seen | MessageFlags.Answered | MessageFlags.Flagged | MessageFlags.Deleted | MessageFlags.Draft;
        return new DestinationFolder(folderName, uidValidity, uidNext, system, any, keywords);
    }

    private async Task<uint?> StatusUidNextAsync(string folderName, CancellationToken ct)
    {
        uint? uidNext = null;
        var tag = NextTag();
        await WriteAsciiAsync($"{tag} STATUS ", ct);
        await WriteMailboxAsync(folderName, ct);
        await WriteLineAsync(" (UIDNEXT)", ct);
        var answer = await ReadTaggedAsync(tag, line =>
        {
            if (line.StartsWith("* STATUS ", StringComparison.OrdinalIgnoreCase) && StatusUidNext().Match(line) is { Success: true } n)
                uidNext = uint.Parse(n.Groups[1].Value, CultureInfo.InvariantCulture);
        }, ct);
        return answer.Ok ? uidNext : null;
    }

    // ----------------------------------------------------------------- append

    /// <summary>
    /// Appends the messages in order. With MULTIAPPEND they go in one atomic command; if the server refuses it (one
    /// message too large, say), nothing was stored and each message is appended on its own, so only the refused ones
    /// are left out. Returns one outcome per message.
    /// </summary>
    public Task<IReadOnlyList<AppendOutcome>> AppendAsync(DestinationFolder folder, IReadOnlyList<AppendItem> items, CancellationToken ct) =>
        TimedAsync(() => AppendBatchAsync(folder, items, ct), ct);

    private async Task<IReadOnlyList<AppendOutcome>> AppendBatchAsync(DestinationFolder folder, IReadOnlyList<AppendItem> items, CancellationToken ct)
    {
        if (items.Count == 0) return [];
        if (AppendLimit is { } limit && items.Any(i => i.Body.Length > limit))
        {
            // Refused here, not sent: the server said it takes nothing larger, and sending 20 MB to hear so costs the
            // bandwidth a provider counts (and, inside a MULTIAPPEND, would sink the whole batch first).
            var outcomes = new AppendOutcome[items.Count];
            var sendable = new List<int>();
            for (var i = 0; i < items.Count; i++)
            {
                if (items[i].Body.Length > limit)
                    outcomes[i] = new AppendOutcome(null, string.Create(CultureInfo.InvariantCulture,
                        $"Not sent: the message is {items[i].Body.Length} bytes and the destination takes at most {limit} (its APPENDLIMIT)."));
                else sendable.Add(i);
            }
            var sent = await AppendBatchAsync(folder, [.. sendable.Select(i => items[i])], ct);
            for (var k = 0; k < sendable.Count; k++) outcomes[sendable[k]] = sent[k];
            return outcomes;
        }
        if (MultiAppend && items.Count > 1)
        {
            var answer = await AppendCommandAsync(folder, items, ct);
            if (answer.Ok)
            {
                var uids = AppendUids(answer.Line, items.Count);
                return [.. Enumerable.Range(0, items.Count).Select(i => new AppendOutcome(uids?[i], null))];
            }
            // Nothing of the batch was stored (MULTIAPPEND is atomic); one by one would only be throttled again.
            ThrowIfProviderLimit(answer);
        }
        return await AppendEachAsync(folder, items, ct);
    }

    /// <summary>
    /// A provider's throttling or daily cap refuses the command, not the message: reported as refused, every message of
    /// the batch would be listed as the destination's refusal and never copied by the next pass. Thrown instead, so the
    /// pass waits and retries, or ends with the cap; what a pipelined batch stored before is adopted from its journal.
    /// </summary>
    private void ThrowIfProviderLimit(Tagged answer)
    {
        if (!answer.Ok && Passes.ProviderLimits.Recognise(answer.Text) is not null)
            throw new AppendWriterException($"{_where} refused APPEND: {answer.Text}", serverText: answer.Text);
    }

    private async Task<IReadOnlyList<AppendOutcome>> AppendEachAsync(DestinationFolder folder, IReadOnlyList<AppendItem> items, CancellationToken ct)
    {
        var outcomes = new AppendOutcome[items.Count];
        if (LiteralPlus)
        {
            // Pipelined: every APPEND written, then the answers read, one round trip for the whole batch.
            using var deadline = Deadline(ct);
            var tags = new string[items.Count];
            for (var i = 0; i < items.Count; i++)
                tags[i] = await WriteAppendAsync(folder, [items[i]], deadline.Token);
            await _out.FlushAsync(deadline.Token);
            // Every answer is read before a throttled one is thrown, so the connection is left in step.
            var answers = new Tagged[items.Count];
            for (var i = 0; i < items.Count; i++)
                answers[i] = await ReadTaggedAsync(tags[i], null, deadline.Token);
            foreach (var answer in answers) ThrowIfProviderLimit(answer);
            for (var i = 0; i < items.Count; i++)
                outcomes[i] = Outcome(answers[i]);
        }
        else
        {
            for (var i = 0; i < items.Count; i++)
            {
                var answer = await AppendCommandAsync(folder, [items[i]], ct);
                ThrowIfProviderLimit(answer);
                outcomes[i] = Outcome(answer);
            }
        }

        // A server may refuse a message for one of its keywords, which it announced it would keep (Dovecot's
        // mail_max_keyword_length, say: "Keyword length too long"). The mail matters more than a label: such a
        // message is tried once more without its keywords, and they are reported as not kept instead of the message
        // being left out. A refusal for the message itself (too large) is refused again and stays the first answer.
        for (var i = 0; i < items.Count; i++)
        {
            if (outcomes[i].Appended || Sent(items[i], folder) is not { Count: > 0 } keywords) continue;
            var bare = await AppendCommandAsync(folder, [items[i] with { Keywords = [] }], ct);
            ThrowIfProviderLimit(bare);
            if (bare.Ok) outcomes[i] = new AppendOutcome(AppendUids(bare.Line, 1)?[0], null, keywords);
        }
        return outcomes;

        static AppendOutcome Outcome(Tagged answer) =>
            answer.Ok ? new AppendOutcome(AppendUids(answer.Line, 1)?[0], null) : new AppendOutcome(null, answer.Text);

        static List<string> Sent(AppendItem item, DestinationFolder folder) => [.. item.Keywords.Where(k => IsAtom(k) && folder.Keeps(k))];
    }

    private async Task<Tagged> AppendCommandAsync(DestinationFolder folder, IReadOnlyList<AppendItem> items, CancellationToken ct)
    {
        using var deadline = Deadline(ct);
        var tag = await WriteAppendAsync(folder, items, deadline.Token);
        await _out.FlushAsync(deadline.Token);
        return await ReadTaggedAsync(tag, null, deadline.Token);
    }

    /// <returns>The command's tag; when a synchronising literal was refused, the refusal is left for the caller to read.</returns>
    private async Task<string> WriteAppendAsync(DestinationFolder folder, IReadOnlyList<AppendItem> items, CancellationToken ct)
    {
        var tag = NextTag();
        await WriteAsciiAsync($"{tag} APPEND ", ct);
        await WriteMailboxAsync(folder.Name, ct);
        foreach (var item in items)
        {
            var length = item.Body.Length;
            await WriteAsciiAsync($" ({FlagList(item, folder)}){Date(item.InternalDate)} {{{length}{(LiteralPlus ? "+" : "")}}}\r\n", ct);
            if (!LiteralPlus)
            {
                await _out.FlushAsync(ct);
                if (!await ContinuationAsync(tag, ct))
                {
                    _pendingTagged = (tag, _lastLine);
                    return tag;
                }
            }
            foreach (var segment in item.Body.Bytes)
                await _out.WriteAsync(segment, ct);
        }
        await WriteAsciiAsync("\r\n", ct);
        return tag;
    }

    private (string Tag, string Line)? _pendingTagged;
    private string _lastLine = "";

    /// <summary>Waits for the server's go-ahead for a synchronising literal; false when it answered the command instead.</summary>
    private async Task<bool> ContinuationAsync(string tag, CancellationToken ct)
    {
        while (true)
        {
            var line = await _in.ReadAsync(ct);
            if (line.StartsWith('+')) return true;
            if (line.StartsWith(tag + " ", StringComparison.Ordinal))
            {
                _lastLine = line;
                return false;
            }
        }
    }

    /// <summary>The destination's size of each of these messages, to check that what was stored is what was sent.</summary>
    public Task<IReadOnlyDictionary<uint, long>> FetchSizesAsync(IEnumerable<uint> uids, CancellationToken ct) =>
        TimedAsync(() => FetchSizesOfAsync(uids, ct), ct);

    private async Task<IReadOnlyDictionary<uint, long>> FetchSizesOfAsync(IEnumerable<uint> uids, CancellationToken ct)
    {
        var wanted = uids.ToList();
        var sizes = new Dictionary<uint, long>();
        if (wanted.Count == 0) return sizes;
        using var deadline = Deadline(ct);
        await FetchSizesAsync(wanted, sizes, noopFirst: false, deadline.Token);
        // Courier tells a session of messages appended to its selected folder only at the next command that may (a NOOP):
        // until then a UID FETCH of them answers nothing. Asked again after one; Dovecot and Cyrus never need it.
        if (sizes.Count < wanted.Count)
            await FetchSizesAsync([.. wanted.Where(uid => !sizes.ContainsKey(uid))], sizes, noopFirst: true, deadline.Token);
        return sizes;
    }

    private async Task FetchSizesAsync(IReadOnlyList<uint> uids, Dictionary<uint, long> sizes, bool noopFirst, CancellationToken ct)
    {
        string? noop = null;
        if (noopFirst)
        {
            // Written with the FETCH, one round trip for both.
            noop = NextTag();
            await WriteAsciiAsync($"{noop} NOOP\r\n", ct);
        }
        var tag = await SendAsync($"UID FETCH {UidSet(uids)} (UID RFC822.SIZE)", ct);
        void Take(string line)
        {
            if (FetchUid().Match(line) is { Success: true } uid && FetchSize().Match(line) is { Success: true } size)
                sizes[uint.Parse(uid.Groups[1].Value, CultureInfo.InvariantCulture)] = long.Parse(size.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        if (noop is not null) await ReadTaggedAsync(noop, Take, ct);
        var answer = await ReadTaggedAsync(tag, Take, ct);
        if (!answer.Ok) throw new AppendWriterException($"{_where} refused UID FETCH: {answer.Text}", serverText: answer.Text);
    }

    /// <summary>A compact UID set: runs of consecutive UIDs written as ranges.</summary>
    public static string UidSet(IEnumerable<uint> uids)
    {
        var sorted = uids.Distinct().Order().ToList();
        var parts = new List<string>();
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1) j++;
            parts.Add(i == j ? sorted[i].ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{sorted[i]}:{sorted[j]}"));
            i = j + 1;
        }
        return string.Join(',', parts);
    }

    // ----------------------------------------------------------------- wire

    private readonly record struct Tagged(bool Ok, string Text, string Line);

    private string NextTag() => string.Create(CultureInfo.InvariantCulture, $"W{++_tag}");

    private async Task<string> SendAsync(string command, CancellationToken ct)
    {
        var tag = NextTag();
        await WriteLineAsync($"{tag} {command}", ct);
        return tag;
    }

    private async Task CommandAsync(string command, CancellationToken ct)
    {
        var tag = await SendAsync(command, ct);
        var answer = await ReadTaggedAsync(tag, null, ct);
        if (!answer.Ok) throw new ImapConnectException(ImapConnectFailure.Unreachable, $"{_where} refused {command}: {answer.Text}");
    }

    private async Task WriteLineAsync(string line, CancellationToken ct)
    {
        await WriteAsciiAsync(line + "\r\n", ct);
        await _out.FlushAsync(ct);
    }

    private async Task WriteAsciiAsync(string text, CancellationToken ct)
    {
        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.ASCII.GetMaxByteCount(text.Length));
        try
        {
            var n = Encoding.ASCII.GetBytes(text, bytes);
            await _out.WriteAsync(bytes.AsMemory(0, n), ct);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private Task WriteMailboxAsync(string name, CancellationToken ct)
    {
        var encoded = ModifiedUtf7.Encode(name);
        return WriteAsciiAsync($"\"{encoded.Replace("\\", "\\\\").Replace("\"", "\\\"")}\"", ct);
    }

    private async Task<Tagged> ReadTaggedAsync(string tag, Action<string>? untagged, CancellationToken ct)
    {
        if (_pendingTagged is { } pending && pending.Tag == tag)
        {
            _pendingTagged = null;
            return ToTagged(pending.Line, tag);
        }
        string? warning = null;
        while (true)
        {
            string line;
            try
            {
                line = await _in.ReadAsync(ct);
            }
            catch (AppendWriterException e) when (warning is not null)
            {
                // A server that says why before it hangs up (Exchange's "* NO Request is throttled ...") is reported in its words.
                throw new AppendWriterException($"{e.Message} It said: {warning}", e, warning);
            }
            if (line.StartsWith(tag + " ", StringComparison.Ordinal)) return ToTagged(line, tag);
            if (line.StartsWith("* BYE", StringComparison.OrdinalIgnoreCase))
                throw new AppendWriterException($"{_where} closed the connection: {line[5..].Trim()}", serverText: line[5..].Trim());
            if (line.StartsWith("* NO ", StringComparison.OrdinalIgnoreCase) || line.StartsWith("* BAD ", StringComparison.OrdinalIgnoreCase))
                warning = line[(line.IndexOf(' ', 2) + 1)..].Trim();
            if (line.StartsWith('*')) untagged?.Invoke(line);
        }
    }

    private static Tagged ToTagged(string line, string tag)
    {
        var rest = line[(tag.Length + 1)..];
        var ok = rest.StartsWith("OK", StringComparison.OrdinalIgnoreCase);
        var text = rest.Length > 3 ? rest[3..].Trim() : rest;
        return new Tagged(ok, text, line);
    }

    /// <summary>A command that ran out of time leaves the connection unusable: that is a transport failure, not a cancellation.</summary>
    private async Task<T> TimedAsync<T>(Func<Task<T>> operation, CancellationToken ct)
    {
        try
        {
            return await operation();
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new AppendWriterException(string.Create(CultureInfo.InvariantCulture, $"{_where} did not answer within {_timeout.TotalSeconds:0.#} s."), e);
        }
    }

    private CancellationTokenSource Deadline(CancellationToken ct)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_timeout);
        return deadline;
    }

    private static string? Code(string line, string name)
    {
        var start = line.IndexOf("[" + name + " ", StringComparison.OrdinalIgnoreCase);
        if (start < 0) return null;
        start += name.Length + 2;
        var end = line.IndexOf(']', start);
        return end < 0 ? null : line[start..end];
    }

    /// <summary>The destination UIDs of an APPENDUID answer, in the order the messages were sent; null without UIDPLUS.</summary>
    private static uint[]? AppendUids(string line, int count)
    {
        var match = AppendUidCode().Match(line);
        if (!match.Success) return null;
        var uids = new List<uint>();
        foreach (var part in match.Groups[1].Value.Split(','))
        {
            var range = part.Split(':');
            var a = uint.Parse(range[0], CultureInfo.InvariantCulture);
            var b = range.Length == 2 ? uint.Parse(range[1], CultureInfo.InvariantCulture) : a;
            for (var u = Math.Min(a, b); u <= Math.Max(a, b); u++) uids.Add(u);
        }
        return uids.Count == count ? [.. uids] : null;
    }

    private static string FlagList(AppendItem item, DestinationFolder folder)
    {
        var parts = new List<string>();
        foreach (var (flag, name) in SystemFlags)
            if (item.Flags.HasFlag(flag) && folder.PermanentFlags.HasFlag(flag)) parts.Add(name);
        foreach (var keyword in item.Keywords)
            if (IsAtom(keyword) && folder.Keeps(keyword)) parts.Add(keyword);
        return string.Join(' ', parts);
    }

    /// <summary>The flags and keywords the destination folder cannot keep (reported, never silently lost).</summary>
    public static IReadOnlyList<string> NotKept(AppendItem item, DestinationFolder folder)
    {
        var lost = new List<string>();
        foreach (var (flag, name) in SystemFlags)
            if (item.Flags.HasFlag(flag) && !folder.PermanentFlags.HasFlag(flag)) lost.Add(name);
        foreach (var keyword in item.Keywords)
            if (!IsAtom(keyword) || !folder.Keeps(keyword)) lost.Add(keyword);
        return lost;
    }

    private static readonly (MessageFlags Flag, string Name)[] SystemFlags =
    [
        (MessageFlags.Seen, "\\Seen"), (MessageFlags.Answered, "\\Answered"), (MessageFlags.Flagged, "\\Flagged"),
        (MessageFlags.Deleted, "\\Deleted"), (MessageFlags.Draft, "\\Draft"),
    ];

    private static MessageFlags? SystemFlag(string name) =>
        SystemFlags.Where(f => f.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(f => (MessageFlags?)f.Flag).FirstOrDefault();

    // A keyword is an atom (RFC 3501): no atom-specials, no controls, no space, and not a system flag's backslash.
    private static bool IsAtom(string keyword) =>
        keyword.Length > 0 && keyword[0] != '\\' && keyword.All(c => c is > ' ' and < '\x7f' and not '(' and not ')' and not '{'
            and not '%' and not '*' and not '"' and not '\\' and not ']');

    private static string Date(DateTimeOffset? date)
    {
        if (date is not { } d) return "";
        var offset = d.Offset;
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        offset = offset.Duration();
        return string.Create(CultureInfo.InvariantCulture, $" \"{d:dd-MMM-yyyy HH:mm:ss} {sign}{offset.Hours:00}{offset.Minutes:00}\"");
    }

    [GeneratedRegex(@"\[CAPABILITY ([^\]]*)\]", RegexOptions.IgnoreCase)]
    private static partial Regex CapabilityCode();

    [GeneratedRegex(@"UIDNEXT (\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex StatusUidNext();

    [GeneratedRegex(@"\[PERMANENTFLAGS \(([^)]*)\)\]", RegexOptions.IgnoreCase)]
    private static partial Regex PermanentFlagsCode();

    [GeneratedRegex(@"\[APPENDUID \d+ ([0-9:,]+)\]", RegexOptions.IgnoreCase)]
    private static partial Regex AppendUidCode();

    [GeneratedRegex(@"^\* \d+ FETCH \(.*\bUID (\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex FetchUid();

    [GeneratedRegex(@"^\* \d+ FETCH \(.*\bRFC822\.SIZE (\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex FetchSize();

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.Connected)
            {
                using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                var tag = await SendAsync("LOGOUT", deadline.Token);
                await ReadTaggedAsync(tag, null, deadline.Token);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        Dispose();
        _socket.Dispose();
    }

    private void Dispose()
    {
        try
        {
            _out.Dispose();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException)
        {
        }
        _stream.Dispose();
    }

    /// <summary>
    /// Reads one response at a time: a line, with any literal it announces ({n}) read into it. The responses this writer
    /// waits for are short; message bodies only ever travel the other way.
    /// </summary>
    private sealed class ResponseReader(Stream stream)
    {
        private const int MaxResponse = 1024 * 1024;
        private readonly byte[] _buffer = new byte[16 * 1024];
        private int _start, _end;

        public async Task<string> ReadAsync(CancellationToken ct)
        {
            var line = new StringBuilder();
            while (true)
            {
                var part = await ReadLineAsync(ct);
                line.Append(part);
                if (line.Length > MaxResponse) throw new AppendWriterException("The server sent a response of more than 1 MiB.");
                if (LiteralLength(part) is not { } n) return line.ToString();
                line.Append("\r\n").Append(Encoding.Latin1.GetString(await ReadBytesAsync(n, ct)));
            }
        }

        private static int? LiteralLength(string part)
        {
            if (!part.EndsWith('}')) return null;
            var open = part.LastIndexOf('{');
            return open >= 0 && int.TryParse(part.AsSpan(open + 1, part.Length - open - 2).TrimEnd('+'), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                && n <= MaxResponse ? n : null;
        }

        private async Task<string> ReadLineAsync(CancellationToken ct)
        {
            // Bytes are gathered before decoding, so a UTF-8 character split between two reads stays whole.
            var bytes = new List<byte>();
            while (true)
            {
                var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                var stop = newline >= 0 ? newline : _end;
                bytes.AddRange(new ArraySegment<byte>(_buffer, _start, stop - _start));
                if (newline >= 0)
                {
                    _start = newline + 1;
                    var length = bytes.Count > 0 && bytes[^1] == '\r' ? bytes.Count - 1 : bytes.Count;
                    return Encoding.UTF8.GetString(bytes.ToArray(), 0, length);
                }
                if (bytes.Count > MaxResponse) throw new AppendWriterException("The server sent a line of more than 1 MiB.");
                await FillAsync(ct);
            }
        }

        private async Task<byte[]> ReadBytesAsync(int count, CancellationToken ct)
        {
            var bytes = new byte[count];
            var have = 0;
            while (have < count)
            {
                if (_start == _end) await FillAsync(ct);
                var n = Math.Min(count - have, _end - _start);
                Array.Copy(_buffer, _start, bytes, have, n);
                _start += n;
                have += n;
            }
            return bytes;
        }

        private async Task FillAsync(CancellationToken ct)
        {
            _start = _end = 0;
            var n = await stream.ReadAsync(_buffer, ct);
            if (n == 0) throw new AppendWriterException("The server closed the connection.");
            _end = n;
        }
    }
}
