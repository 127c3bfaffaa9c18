using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MigrationPortal.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class FolderCheckpoints : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
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
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "FolderCheckpoints");
        }
    }
}
