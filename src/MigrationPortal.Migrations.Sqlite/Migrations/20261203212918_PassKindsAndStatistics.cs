using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MigrationPortal.Migrations.Sqlite.Migrations
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
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<TimeSpan>(
                name: "Duration",
                table: "MigrationPasses",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "FoldersFound",
                table: "MigrationPasses",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Kind",
                table: "MigrationPasses",
                type: "TEXT",
                maxLength: 16,
                nullable: false,
                defaultValue: "Full");

            migrationBuilder.AddColumn<int>(
                name: "MessagesFailed",
                table: "MigrationPasses",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "MessagesFound",
                table: "MigrationPasses",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "MessagesSkipped",
                table: "MigrationPasses",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "PreStageBefore",
                table: "MigrationPasses",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "RequestedPassKind",
                table: "Mailboxes",
                type: "TEXT",
                maxLength: 16,
                nullable: false,
                defaultValue: "Full");

            migrationBuilder.AddColumn<long>(
                name: "RequestedPreStageBefore",
                table: "Mailboxes",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "FolderStatistics",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    MailboxId = table.Column<int>(type: "INTEGER", nullable: false),
                    PassNumber = table.Column<int>(type: "INTEGER", nullable: false),
                    SourceFolder = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    DestinationFolder = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    MessagesFound = table.Column<int>(type: "INTEGER", nullable: false),
                    BytesFound = table.Column<long>(type: "INTEGER", nullable: false),
                    MessagesCopied = table.Column<int>(type: "INTEGER", nullable: false),
                    BytesCopied = table.Column<long>(type: "INTEGER", nullable: false),
                    MessagesSkipped = table.Column<int>(type: "INTEGER", nullable: false),
                    MessagesFailed = table.Column<int>(type: "INTEGER", nullable: false),
                    Duration = table.Column<TimeSpan>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
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
