/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: initdb in a temp dir, started on a free
 * loopback port, stopped by its own pid. It never touches a server it did not start. As root the server
 * runs as the `postgres` user (PostgreSQL refuses root). Binaries are found on PATH, in /usr/local/bin or
 * in /usr/lib/postgresql/<v>/bin; `.ci/run` installs them when missing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chmodSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export type PgCluster = { url: (db?: string) => string; port: number; dir: string; stop: () => void };

function findBin(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/bin'];
  const lib = '/usr/lib/postgresql';
  if (existsSync(lib)) for (const v of readdirSync(lib).sort().reverse()) dirs.push(path.join(lib, v, 'bin'));
  for (const d of dirs) if (d && existsSync(path.join(d, name))) return path.join(d, name);
  throw new Error(`PostgreSQL '${name}' not found. Install it: apt-get install -y postgresql (or run .ci/run)`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function asPostgres(cmd: string, args: string[]) {
  const root = process.getuid?.() === 0;
  if (!root) return execFileSync(cmd, args, { stdio: 'pipe' });
  const quoted = [cmd, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', quoted], { stdio: 'pipe' });
}

export async function startPgCluster(): Promise<PgCluster> {
  const initdb = findBin('initdb');
  const pgCtl = findBin('pg_ctl');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spine-pg-'));
  chmodSync(dir, 0o777);
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres', dir]);
  const data = path.join(dir, 'data');
  asPostgres(initdb, ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=on`;
  asPostgres(pgCtl, ['-D', data, '-o', opts, '-l', path.join(dir, 'log'), '-w', 'start']);
  const pid = Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      process.kill(pid, 'SIGINT'); // fast shutdown of the postmaster we started, by its pid
      for (let i = 0; i < 100 && isAlive(pid); i++) execFileSync('sleep', ['0.05']);
    } catch {
      /* already gone */
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { url: (db = 'postgres') => `postgresql://postgres@127.0.0.1:${port}/${db}`, port, dir, stop };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Creates a fresh database in the cluster and returns its URL. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE "${name}"`);
  } finally {
    await c.end();
  }
  return adminUrl.replace(/\/[^/]*$/, `/${name}`);
}
