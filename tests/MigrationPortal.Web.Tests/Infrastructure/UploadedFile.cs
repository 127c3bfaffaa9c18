using AngleSharp.Io.Dom;

namespace MigrationPortal.Web.Tests.Infrastructure;

/// <summary>A file chosen in a form's file input (AngleSharp posts it as a multipart part).</summary>
public sealed class UploadedFile(string name, byte[] bytes) : IFile
{
    public string Name => name;
    public DateTime LastModified => DateTime.UnixEpoch;
    public int Length => bytes.Length;
    public string Type => "text/csv";
    public bool IsClosed => false;
    public Stream Body => new MemoryStream(bytes, writable: false);
    public IBlob Slice(int start = 0, int end = int.MaxValue, string? contentType = null) => throw new NotSupportedException();
    public void Close() { }
    public void Dispose() { }
}
