using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace MigrationPortal.Web.Forms;

/// <summary>Binds every <see cref="bool"/> with <see cref="CheckboxBinder"/>.</summary>
public sealed class CheckboxBinderProvider : IModelBinderProvider
{
    public IModelBinder? GetBinder(ModelBinderProviderContext context) =>
        context.Metadata.ModelType == typeof(bool) ? new CheckboxBinder() : null;
}

/// <summary>
/// A checkbox posts "true" (and its hidden "false"). The framework's binder records any other text, say "maybe",
/// as the value to show again, and when the invalid form is re-rendered the checkbox tag helper converts that text
/// to bool and throws (a 500 instead of the form). This binder keeps only a value the checkbox can show: anything
/// else is a validation error, and the box is re-rendered from the model, unchecked.
/// </summary>
public sealed class CheckboxBinder : IModelBinder
{
    public Task BindModelAsync(ModelBindingContext context)
    {
        var posted = context.ValueProvider.GetValue(context.ModelName);
        if (posted == ValueProviderResult.None) return Task.CompletedTask;

        if (bool.TryParse(posted.FirstValue, out var value))
        {
            context.ModelState.SetModelValue(context.ModelName, posted);
            context.Result = ModelBindingResult.Success(value);
            return Task.CompletedTask;
        }
        context.ModelState.SetModelValue(context.ModelName, rawValue: null, attemptedValue: posted.FirstValue);
        context.ModelState.TryAddModelError(context.ModelName,
            $"“{context.ModelMetadata.GetDisplayName()}” must be checked or unchecked.");
        context.Result = ModelBindingResult.Failed();
        return Task.CompletedTask;
    }
}
