namespace MigrationPortal.Core;

/// <summary>Input that the domain refuses, with a message meant for the person who typed it.</summary>
public sealed class DomainValidationException(string message) : Exception(message);
