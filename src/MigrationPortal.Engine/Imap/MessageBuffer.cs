using System.Buffers;
using MailKit;
using MailKit.Net.Imap;
using Microsoft.IO;

namespace MigrationPortal.Engine.Imap;

/// <summary>
/// One message's exact bytes, as the source sent them, in pooled memory: the only copy the engine holds of it between
/// FETCH and APPEND. Disposing it gives the memory back to the pool.
/// </summary>
public sealed class MessageBuffer : IDisposable
{
    // A message holds whole blocks, so the block size is what a small message really costs: at 128 KiB a batch of 50
    // mails of 20 KB held 6.4 MB, and 20 mailboxes with three batches each in flight (fetching, queued, appending) held
    // ~400 MB (measured with bench/imap.sh, the portal's 20-at-once run: 814 MB peak RSS). At 16 KiB a message wastes
    // under one block. The bytes are only ever read as a block sequence (GetReadOnlySequence), never as one large
    // buffer, so big messages cost their size and no copy. Bounded pools: 16 MiB of free blocks kept (what the passes
    // hold in flight is bounded by their BufferBudget; the free pool only saves re-allocating it), 16 MiB of large buffers.
    internal const int BlockSize = 16 * 1024;

    internal static readonly RecyclableMemoryStreamManager Pool = new(new RecyclableMemoryStreamManager.Options
    {
        BlockSize = BlockSize,
        LargeBufferMultiple = 1024 * 1024,
        MaximumBufferSize = 64 * 1024 * 1024,
        MaximumSmallPoolFreeBytes = 16L * 1024 * 1024,
        MaximumLargePoolFreeBytes = 16L * 1024 * 1024,
        AggressiveBufferReturn = true,
    });

    private RecyclableMemoryStream? _stream;

    /// <summary>Bytes of message buffers the process holds right now, in every pass (blocks and large buffers in use).</summary>
    public static long PooledBytesInUse => Pool.SmallPoolInUseSize + Pool.LargePoolInUseSize;

    /// <summary>
    /// What a message of <paramref name="size"/> bytes really holds: whole blocks. A budget counting only the bytes let
    /// 20 mailboxes of 3 KB messages hold 6,000 of them at once, 16 KiB each (a gcdump of bench/imap.sh --scale).
    /// </summary>
    public static long Footprint(long size) => Math.Max(1, (size + BlockSize - 1) / BlockSize) * BlockSize;

    internal MessageBuffer(RecyclableMemoryStream stream) => _stream = stream;

    public static MessageBuffer From(ReadOnlySpan<byte> bytes)
    {
        var stream = Pool.GetStream("message", bytes.Length);
        stream.Write(bytes);
        return new MessageBuffer(stream);
    }

    public long Length => Stream.Length;

    public ReadOnlySequence<byte> Bytes => Stream.GetReadOnlySequence();

    private RecyclableMemoryStream Stream => _stream ?? throw new ObjectDisposedException(nameof(MessageBuffer));

    public void Dispose()
    {
        _stream?.Dispose();
        _stream = null;
    }
}

/// <summary>
/// An <see cref="ImapClient"/> whose folders fetch message bodies into <see cref="MessageBuffer"/>s: MailKit's own
/// stream (an unpooled block list per message) is replaced through its documented extension point
/// (<see cref="ImapClient.CreateImapFolder"/>, <see cref="ImapFolder.CreateStream"/>), and a callback of
/// <see cref="IImapFolder.GetStreamsAsync(IList{UniqueId}, ImapFetchStreamAsyncCallback, CancellationToken, ITransferProgress)"/>
/// takes the buffer over with <see cref="TakeBuffer"/> instead of copying it.
/// </summary>
public sealed class PooledImapClient(ThrottleWatcher watcher) : ImapClient(watcher)
{
    /// <summary>What the client's protocol logger saw of throttling answers.</summary>
    public ThrottleWatcher Watcher => watcher;

    protected override ImapFolder CreateImapFolder(ImapFolderConstructorArgs args) => new PooledImapFolder(args);

    /// <summary>The body a GetStreamsAsync callback was handed, now owned by the caller; null for a stream not from this client.</summary>
    public static MessageBuffer? TakeBuffer(Stream stream) => stream is HandOffStream handOff ? handOff.Take() : null;

    private sealed class PooledImapFolder(ImapFolderConstructorArgs args) : ImapFolder(args)
    {
        protected override Stream CreateStream(UniqueId? uid, string section, int offset, int length) =>
            new HandOffStream(MessageBuffer.Pool.GetStream("fetch", length));
    }

    /// <summary>MailKit disposes the stream after the callback; once the buffer is taken, that no longer frees it.</summary>
    private sealed class HandOffStream(RecyclableMemoryStream inner) : Stream
    {
        private RecyclableMemoryStream? _inner = inner;

        private RecyclableMemoryStream Inner => _inner ?? throw new ObjectDisposedException(nameof(HandOffStream));

        public MessageBuffer Take()
        {
            var taken = Inner;
            _inner = null;
            taken.Position = 0;
            return new MessageBuffer(taken);
        }

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => true;
        public override long Length => Inner.Length;
        public override long Position { get => Inner.Position; set => Inner.Position = value; }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => Inner.Read(buffer);
        public override long Seek(long offset, SeekOrigin origin) => Inner.Seek(offset, origin);
        public override void SetLength(long value) => Inner.SetLength(value);
        public override void Write(byte[] buffer, int offset, int count) => Inner.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => Inner.Write(buffer);

        protected override void Dispose(bool disposing)
        {
            if (disposing) _inner?.Dispose();
            _inner = null;
            base.Dispose(disposing);
        }
    }
}
