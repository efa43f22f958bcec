/**
 * What the tests and the benchmarks both stand on, in one place: a database nobody else uses,
 * rate limits out of the way, and how Chromium is started on this machine. No vitest here, so
 * the bench's processes import it too (bench/servers/ours.ts, bench/suites/browser.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Config } from '../../signaling/config.ts';

export type Dialect = 'sqlite' | 'postgres';

/** PostgreSQL admin URL for creating per-run databases (trust auth on this machine and in CI). */
export const PG_ADMIN_URL =
  process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A temp SQLite file, or a new PostgreSQL database named `<prefix>_<pid>_<random>`. */
export async function freshDatabase(
  dialect: Dialect,
  { adminUrl = PG_ADMIN_URL, prefix = 'p2sp_test' }: { adminUrl?: string; prefix?: string } = {},
): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), `${prefix.replaceAll('_', '-')}-`));
    return {
      url: `sqlite:${join(dir, 'chat.db')}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Every rate limit at `points` per `durationSec`: out of the way of tests and load generators. */
export function generousRateLimits(points: number, durationSec: number): Config['rateLimits'] {
  const limit = { points, durationSec };
  return {
    loginPerIp: limit,
    loginFailuresPerUserIp: limit,
    loginFailuresPerUser: limit,
    registerPerIp: limit,
    eventsPerUser: limit,
    connectsPerIp: limit,
  };
}

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Headless, as root, on a machine whose network is closed: without the background-networking
 * flags Chromium keeps trying (and failing) to reach Google's hosts.
 */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
