using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace MigrationPortal.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class PassKindsAndStatistics : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "BytesFound",
                table: "MigrationPasses",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<TimeSpan>(
                name: "Duration",
                table: "MigrationPasses",
                type: "interval",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "FoldersFound",
                table: "MigrationPasses",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Kind",
                table: "MigrationPasses",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "Full");

            migrationBuilder.AddColumn<int>(
                name: "MessagesFailed",
                table: "MigrationPasses",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "MessagesFound",
                table: "MigrationPasses",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "MessagesSkipped",
                table: "MigrationPasses",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "PreStageBefore",
                table: "MigrationPasses",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "RequestedPassKind",
                table: "Mailboxes",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "Full");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "RequestedPreStageBefore",
                table: "Mailboxes",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "FolderStatistics",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    MailboxId = table.Column<int>(type: "integer", nullable: false),
                    PassNumber = table.Column<int>(type: "integer", nullable: false),
                    SourceFolder = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    DestinationFolder = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    MessagesFound = table.Column<int>(type: "integer", nullable: false),
                    BytesFound = table.Column<long>(type: "bigint", nullable: false),
                    MessagesCopied = table.Column<int>(type: "integer", nullable: false),
                    BytesCopied = table.Column<long>(type: "bigint", nullable: false),
                    MessagesSkipped = table.Column<int>(type: "integer", nullable: false),
                    MessagesFailed = table.Column<int>(type: "integer", nullable: false),
                    Duration = table.Column<TimeSpan>(type: "interval", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FolderStatistics", x => x.Id);
                    table.ForeignKey(
                        name: "FK_FolderStatistics_Mailboxes_MailboxId",
                        column: x => x.MailboxId,
                        principalTable: "Mailboxes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_FailedMessages_MailboxId_Folder_Uid",
                table: "FailedMessages",
                columns: new[] { "MailboxId", "Folder", "Uid" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_FolderStatistics_MailboxId_PassNumber_SourceFolder",
                table: "FolderStatistics",
                columns: new[] { "MailboxId", "PassNumber", "SourceFolder" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "FolderStatistics");

            migrationBuilder.DropIndex(
                name: "IX_FailedMessages_MailboxId_Folder_Uid",
                table: "FailedMessages");

            migrationBuilder.DropColumn(
                name: "BytesFound",
                table: "MigrationPasses");

            migrationBuilder.DropColumn(
                name: "Duration",
                table: "MigrationPasses");

            migrationBuilder.DropColumn(
                name: "FoldersFound",
                table: "MigrationPasses");

            migrationBuilder.DropColumn(
                name: "Kind",
                table: "MigrationPasses");

            migrationBuilder.DropColumn(
                name: "MessagesFailed",
                table: "MigrationPasses");

            migrationBuilder.DropColumn(
                name: "MessagesFound",
                table: "MigrationPasses");

            migrationBuilder.DropColumn(
                name: "MessagesSkipped",
                table: "MigrationPasses");

            migrationBuilder.DropColumn(
                name: "PreStageBefore",
                table: "MigrationPasses");

            migrationBuilder.DropColumn(
                name: "RequestedPassKind",
                table: "Mailboxes");

            migrationBuilder.DropColumn(
                name: "RequestedPreStageBefore",
                table: "Mailboxes");
        }
    }
}
