/*
 * The r1fs component's schema steps.  Forward only: a new column or table
 * is a new step, never an edit of an old one.
 */
#include "node/lib.h"
#include "node/r1fs/schema.h"

#include "core/db.h"

static const struct db_migration r1fs_steps[] = {
    {1, "CREATE TABLE r1fs_blocks("
        " digest BLOB PRIMARY KEY," /* SHA-256 of the block */
        " size INTEGER NOT NULL,"   /* bytes */
        " links INTEGER NOT NULL,"  /* dag-pb links, or -1 for a raw block */
        " added INTEGER NOT NULL"   /* unix seconds */
        ") WITHOUT ROWID;"
        "CREATE TABLE r1fs_pins("
        " cid TEXT PRIMARY KEY,"    /* as r1fs_cid_format writes it */
        " size INTEGER NOT NULL,"   /* cumulative size of the DAG */
        " created INTEGER NOT NULL" /* unix seconds */
        ");"},
    /* Packs: a block's record is at byte `off` of pack `pack` (NULL: a block
     * file of the first layout, moved into a pack when the store opens). */
    {2, "ALTER TABLE r1fs_blocks ADD COLUMN pack INTEGER;"
        "ALTER TABLE r1fs_blocks ADD COLUMN off INTEGER;"
        "CREATE INDEX r1fs_blocks_by_pack ON r1fs_blocks(pack, off);"},
    /* The decrypted name of a pinned file, when the node knew it (the
     * console's :r1fs view); NULL otherwise. */
    {3, "ALTER TABLE r1fs_pins ADD COLUMN name TEXT;"},
};

enum r1_err r1fs_schema_migrate(sqlite3 *db, char **why)
{
	return db_migrate(db, "r1fs", r1fs_steps, R1_ARRAY_LEN(r1fs_steps), why);
}
