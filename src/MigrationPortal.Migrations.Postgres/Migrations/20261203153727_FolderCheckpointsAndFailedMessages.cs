using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace MigrationPortal.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class FolderCheckpointsAndFailedMessages : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "FailedMessages",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    MailboxId = table.Column<int>(type: "integer", nullable: false),
                    PassNumber = table.Column<int>(type: "integer", nullable: false),
                    Folder = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    Uid = table.Column<long>(type: "bigint", nullable: false),
                    Subject = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    Size = table.Column<long>(type: "bigint", nullable: false),
                    ServerAnswer = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    At = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FailedMessages", x => x.Id);
                    table.ForeignKey(
                        name: "FK_FailedMessages_Mailboxes_MailboxId",
                        column: x => x.MailboxId,
                        principalTable: "Mailboxes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "FolderCheckpoints",
                columns: table => new
                {
                    MailboxId = table.Column<int>(type: "integer", nullable: false),
                    SourceFolder = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    UidValidity = table.Column<long>(type: "bigint", nullable: false),
                    HighestCopiedUid = table.Column<long>(type: "bigint", nullable: false),
                    JournalDestinationUidValidity = table.Column<long>(type: "bigint", nullable: true),
                    JournalDestinationUidNext = table.Column<long>(type: "bigint", nullable: true),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FolderCheckpoints", x => new { x.MailboxId, x.SourceFolder });
                    table.ForeignKey(
                        name: "FK_FolderCheckpoints_Mailboxes_MailboxId",
                        column: x => x.MailboxId,
                        principalTable: "Mailboxes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_FailedMessages_MailboxId_PassNumber",
                table: "FailedMessages",
                columns: new[] { "MailboxId", "PassNumber" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "FailedMessages");

            migrationBuilder.DropTable(
                name: "FolderCheckpoints");
        }
    }
}
