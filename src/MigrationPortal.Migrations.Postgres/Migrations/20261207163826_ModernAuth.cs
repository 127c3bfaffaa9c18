using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MigrationPortal.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class ModernAuth : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "DestinationSignIn_CertificateNotAfter",
                table: "Projects",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DestinationSignIn_CertificateThumbprint",
                table: "Projects",
                type: "character varying(40)",
                maxLength: 40,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DestinationSignIn_ClientId",
                table: "Projects",
                type: "character varying(254)",
                maxLength: 254,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DestinationSignIn_Method",
                table: "Projects",
                type: "character varying(32)",
                maxLength: 32,
                nullable: false,
                defaultValue: "Password");

            migrationBuilder.AddColumn<string>(
                name: "DestinationSignIn_ProtectedSecret",
                table: "Projects",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DestinationSignIn_TenantId",
                table: "Projects",
                type: "character varying(254)",
                maxLength: 254,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DestinationSignIn_TokenEndpoint",
                table: "Projects",
                type: "character varying(500)",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "DestinationSignIn_UsesCertificate",
                table: "Projects",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<int>(
                name: "MaxKilobytesPerSecond",
                table: "Projects",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "MaxMessagesPerSecond",
                table: "Projects",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "SourceSignIn_CertificateNotAfter",
                table: "Projects",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SourceSignIn_CertificateThumbprint",
                table: "Projects",
                type: "character varying(40)",
                maxLength: 40,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SourceSignIn_ClientId",
                table: "Projects",
                type: "character varying(254)",
                maxLength: 254,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SourceSignIn_Method",
                table: "Projects",
                type: "character varying(32)",
                maxLength: 32,
                nullable: false,
                defaultValue: "Password");

            migrationBuilder.AddColumn<string>(
                name: "SourceSignIn_ProtectedSecret",
                table: "Projects",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SourceSignIn_TenantId",
                table: "Projects",
                type: "character varying(254)",
                maxLength: 254,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SourceSignIn_TokenEndpoint",
                table: "Projects",
                type: "character varying(500)",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "SourceSignIn_UsesCertificate",
                table: "Projects",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "ThrottledUntil",
                table: "MigrationPasses",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "ThrottledWaits",
                table: "MigrationPasses",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "Throttling",
                table: "MigrationPasses",
                type: "character varying(500)",
                maxLength: 500,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "DestinationSignIn_CertificateNotAfter",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "DestinationSignIn_CertificateThumbprint",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "DestinationSignIn_ClientId",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "DestinationSignIn_Method",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "DestinationSignIn_ProtectedSecret",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "DestinationSignIn_TenantId",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "DestinationSignIn_TokenEndpoint",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "DestinationSignIn_UsesCertificate",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "MaxKilobytesPerSecond",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "MaxMessagesPerSecond",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "SourceSignIn_CertificateNotAfter",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "SourceSignIn_CertificateThumbprint",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "SourceSignIn_ClientId",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "SourceSignIn_Method",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "SourceSignIn_ProtectedSecret",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "SourceSignIn_TenantId",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "SourceSignIn_TokenEndpoint",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "SourceSignIn_UsesCertificate",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "ThrottledUntil",
                table: "MigrationPasses");

            migrationBuilder.DropColumn(
                name: "ThrottledWaits",
                table: "MigrationPasses");

            migrationBuilder.DropColumn(
                name: "Throttling",
                table: "MigrationPasses");
        }
    }
}
