using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MigrationPortal.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class ProjectMigrationSlots : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "SlotNumber",
                table: "MigrationClaims",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "ProjectMigrationSlots",
                columns: table => new
                {
                    ProjectId = table.Column<int>(type: "INTEGER", nullable: false),
                    SlotNumber = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ProjectMigrationSlots", x => new { x.ProjectId, x.SlotNumber });
                    table.ForeignKey(
                        name: "FK_ProjectMigrationSlots_Projects_ProjectId",
                        column: x => x.ProjectId,
                        principalTable: "Projects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            // Claims made before slots existed are numbered 1..n within their project (some may be above the cap:
            // they count as running above it until they end), and get their slot rows, before one claim per slot is enforced.
            migrationBuilder.Sql("""
                UPDATE "MigrationClaims" SET "SlotNumber" = (
                    SELECT COUNT(*) FROM "MigrationClaims" AS "Other"
                    WHERE "Other"."ProjectId" = "MigrationClaims"."ProjectId" AND "Other"."MailboxId" <= "MigrationClaims"."MailboxId");
                INSERT INTO "ProjectMigrationSlots" ("ProjectId", "SlotNumber") SELECT "ProjectId", "SlotNumber" FROM "MigrationClaims";
                """);

            migrationBuilder.CreateIndex(
                name: "IX_MigrationClaims_ProjectId_SlotNumber",
                table: "MigrationClaims",
                columns: new[] { "ProjectId", "SlotNumber" },
                unique: true);

            migrationBuilder.AddForeignKey(
                name: "FK_MigrationClaims_ProjectMigrationSlots_ProjectId_SlotNumber",
                table: "MigrationClaims",
                columns: new[] { "ProjectId", "SlotNumber" },
                principalTable: "ProjectMigrationSlots",
                principalColumns: new[] { "ProjectId", "SlotNumber" },
                onDelete: ReferentialAction.Cascade);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_MigrationClaims_ProjectMigrationSlots_ProjectId_SlotNumber",
                table: "MigrationClaims");

            migrationBuilder.DropTable(
                name: "ProjectMigrationSlots");

            migrationBuilder.DropIndex(
                name: "IX_MigrationClaims_ProjectId_SlotNumber",
                table: "MigrationClaims");

            migrationBuilder.DropColumn(
                name: "SlotNumber",
                table: "MigrationClaims");
        }
    }
}
