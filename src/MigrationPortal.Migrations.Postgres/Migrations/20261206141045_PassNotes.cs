using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MigrationPortal.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class PassNotes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "FlagsUpdated",
                table: "MigrationPasses",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "FoldersUnchanged",
                table: "MigrationPasses",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "NotKept",
                table: "MigrationPasses",
                type: "character varying(1000)",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "SizeMismatches",
                table: "MigrationPasses",
                type: "integer",
                nullable: false,
                defaultValue: 0);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "FlagsUpdated",
                table: "MigrationPasses");

            migrationBuilder.DropColumn(
                name: "FoldersUnchanged",
                table: "MigrationPasses");

            migrationBuilder.DropColumn(
                name: "NotKept",
                table: "MigrationPasses");

            migrationBuilder.DropColumn(
                name: "SizeMismatches",
                table: "MigrationPasses");
        }
    }
}
