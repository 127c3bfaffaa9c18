using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MigrationPortal.Migrations.Sqlite.Migrations
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
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "FoldersUnchanged",
                table: "MigrationPasses",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "NotKept",
                table: "MigrationPasses",
                type: "TEXT",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "SizeMismatches",
                table: "MigrationPasses",
                type: "INTEGER",
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
