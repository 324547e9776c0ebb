/**
 * Vitest global setup: with SPINE_TEST_DB=postgres, starts one throwaway PostgreSQL cluster for the run
 * (unless SPINE_TEST_PG_URL already points at one) and stops it at the end.
 */
import { startPgCluster } from './postgres';

export default async function setup() {
  if (process.env.SPINE_TEST_DB !== 'postgres' || process.env.SPINE_TEST_PG_URL) return;
  const cluster = await startPgCluster();
  process.env.SPINE_TEST_PG_URL = cluster.url();
  return () => cluster.stop();
}
