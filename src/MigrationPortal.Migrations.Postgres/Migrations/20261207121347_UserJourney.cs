using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MigrationPortal.Migrations.Postgres.Migrations
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
                type: "integer",
                nullable: false,
                defaultValue: 2);

            migrationBuilder.AddColumn<int>(
                name: "ReminderAfterDays",
                table: "Projects",
                type: "integer",
                nullable: false,
                defaultValue: 2);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "AcceptedAt",
                table: "CredentialRequests",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "CompletionNotifiedAt",
                table: "CredentialRequests",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "FailureNotifiedAt",
                table: "CredentialRequests",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "FirstOpenedAt",
                table: "CredentialRequests",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "LastSentAt",
                table: "CredentialRequests",
                type: "timestamp with time zone",
                nullable: false,
                defaultValue: new DateTimeOffset(new DateTime(1, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)));

            migrationBuilder.AddColumn<int>(
                name: "Opens",
                table: "CredentialRequests",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "ProtectedToken",
                table: "CredentialRequests",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "RemindersSent",
                table: "CredentialRequests",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "Resends",
                table: "CredentialRequests",
                type: "integer",
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
