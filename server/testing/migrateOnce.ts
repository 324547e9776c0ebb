/**
 * Child process for the concurrent-migration test: migrates DATABASE_URL and prints `applied [names]`.
 */
import { isPostgresUrl, migratePostgres, migrateSqlite } from '@/server/db/migrate';
import { sqlitePathFromUrl } from '@/server/db/sqlite';

const url = process.env.DATABASE_URL!;
const applied = isPostgresUrl(url) ? await migratePostgres(url) : migrateSqlite(sqlitePathFromUrl(url));
console.log(`applied ${JSON.stringify(applied)}`);
