using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MigrationPortal.Migrations.Postgres.Migrations
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
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "SourceMessages",
                table: "FolderCheckpoints",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "SourceUidNext",
                table: "FolderCheckpoints",
                type: "bigint",
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
