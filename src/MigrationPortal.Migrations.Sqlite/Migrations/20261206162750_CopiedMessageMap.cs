using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MigrationPortal.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class CopiedMessageMap : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "CopiedMessages",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    MailboxId = table.Column<int>(type: "INTEGER", nullable: false),
                    SourceFolder = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    SourceUidValidity = table.Column<long>(type: "INTEGER", nullable: false),
                    DestinationUidValidity = table.Column<long>(type: "INTEGER", nullable: false),
                    SourceUids = table.Column<string>(type: "TEXT", nullable: false),
                    DestinationUids = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CopiedMessages", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CopiedMessages_Mailboxes_MailboxId",
                        column: x => x.MailboxId,
                        principalTable: "Mailboxes",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_CopiedMessages_MailboxId_SourceFolder",
                table: "CopiedMessages",
                columns: new[] { "MailboxId", "SourceFolder" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CopiedMessages");
        }
    }
}
