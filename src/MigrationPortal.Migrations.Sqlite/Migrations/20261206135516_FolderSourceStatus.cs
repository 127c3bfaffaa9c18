using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MigrationPortal.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class FolderSourceStatus : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "SourceHighestModSeq",
                table: "FolderCheckpoints",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "SourceMessages",
                table: "FolderCheckpoints",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "SourceUidNext",
                table: "FolderCheckpoints",
                type: "INTEGER",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "SourceHighestModSeq",
                table: "FolderCheckpoints");

            migrationBuilder.DropColumn(
                name: "SourceMessages",
                table: "FolderCheckpoints");

            migrationBuilder.DropColumn(
                name: "SourceUidNext",
                table: "FolderCheckpoints");
        }
    }
}
