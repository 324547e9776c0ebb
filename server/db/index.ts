/**
 * The database below everything: the Prisma client (`createDb`, SQLite or PostgreSQL by URL), the SQL
 * migrations both dialects run, the SQLite file opener, and the leader lease that lets one of several
 * Spine processes run the singletons. Callers import from `@/server/db`.
 */
export { createDb, type Db } from './client';
export { acquireLeadership, type Leadership } from './leader';
export { migrateSqlite, migratePostgres, isPostgresUrl, loadMigrations, migrationsDir, type Migration } from './migrate';
export { openSqliteDatabase, sqlitePathFromUrl } from './sqlite';
