using MigrationPortal.Web.Startup;

var builder = WebApplication.CreateBuilder(PortalHost.Options(args));
builder.AddPortal();

var app = builder.Build();
app.UsePortal();
app.Run();

public partial class Program;
