using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace MigrationPortal.Migrations.Postgres.Migrations
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
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    MailboxId = table.Column<int>(type: "integer", nullable: false),
                    SourceFolder = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    SourceUidValidity = table.Column<long>(type: "bigint", nullable: false),
                    DestinationUidValidity = table.Column<long>(type: "bigint", nullable: false),
                    SourceUids = table.Column<string>(type: "text", nullable: false),
                    DestinationUids = table.Column<string>(type: "text", nullable: false)
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
