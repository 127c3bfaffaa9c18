using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MigrationPortal.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class UserJourney : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "MaxReminders",
                table: "Projects",
                type: "INTEGER",
                nullable: false,
                defaultValue: 2);

            migrationBuilder.AddColumn<int>(
                name: "ReminderAfterDays",
                table: "Projects",
                type: "INTEGER",
                nullable: false,
                defaultValue: 2);

            migrationBuilder.AddColumn<long>(
                name: "AcceptedAt",
                table: "CredentialRequests",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "CompletionNotifiedAt",
                table: "CredentialRequests",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "FailureNotifiedAt",
                table: "CredentialRequests",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "FirstOpenedAt",
                table: "CredentialRequests",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "LastSentAt",
                table: "CredentialRequests",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<int>(
                name: "Opens",
                table: "CredentialRequests",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "ProtectedToken",
                table: "CredentialRequests",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "RemindersSent",
                table: "CredentialRequests",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "Resends",
                table: "CredentialRequests",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);
        
            // A request made before this kept its last email's time only as its creation.
            migrationBuilder.Sql("UPDATE \"CredentialRequests\" SET \"LastSentAt\" = \"CreatedAt\";");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "MaxReminders",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "ReminderAfterDays",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "AcceptedAt",
                table: "CredentialRequests");

            migrationBuilder.DropColumn(
                name: "CompletionNotifiedAt",
                table: "CredentialRequests");

            migrationBuilder.DropColumn(
                name: "FailureNotifiedAt",
                table: "CredentialRequests");

            migrationBuilder.DropColumn(
                name: "FirstOpenedAt",
                table: "CredentialRequests");

            migrationBuilder.DropColumn(
                name: "LastSentAt",
                table: "CredentialRequests");

            migrationBuilder.DropColumn(
                name: "Opens",
                table: "CredentialRequests");

            migrationBuilder.DropColumn(
                name: "ProtectedToken",
                table: "CredentialRequests");

            migrationBuilder.DropColumn(
                name: "RemindersSent",
                table: "CredentialRequests");

            migrationBuilder.DropColumn(
                name: "Resends",
                table: "CredentialRequests");
        }
    }
}
