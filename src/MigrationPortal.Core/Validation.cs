namespace MigrationPortal.Core;

internal static class Validation
{
    public static string EmailAddress(string? value, string what)
    {
        var email = value?.Trim() ?? "";
        if (email.Length == 0)
            throw new DomainValidationException($"The {what} is required.");
        var at = email.IndexOf('@');
        if (email.Length > 254 || at <= 0 || at != email.LastIndexOf('@') || at == email.Length - 1
            || email.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '<' or '>' or ',' or ';' or '"'))
            throw new DomainValidationException($"'{email}' is not a valid {what}.");
        return email;
    }

    public static string LoginName(string? value)
    {
        var login = value?.Trim() ?? "";
        if (login.Length > 254)
            throw new DomainValidationException("The login name is longer than 254 characters.");
        if (login.Any(char.IsControl))
            throw new DomainValidationException("The login name contains control characters.");
        return login;
    }

    public static string RequiredLogin(string? value)
    {
        var login = LoginName(value);
        return login.Length > 0 ? login : throw new DomainValidationException("A login name is required.");
    }

    public static string Required(string? value, string what, int maxLength)
    {
        var text = value?.Trim() ?? "";
        if (text.Length == 0)
            throw new DomainValidationException($"The {what} is required.");
        if (text.Length > maxLength)
            throw new DomainValidationException($"The {what} is longer than {maxLength} characters.");
        if (text.Any(char.IsControl))
            throw new DomainValidationException($"The {what} contains control characters.");
        return text;
    }
}
