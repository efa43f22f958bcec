/**
 * Chaos, bounded: ten people on the real engine chat privately and in a group while their network
 * drops, their tabs reload and the server is killed with SIGKILL and restarted. Nothing may be
 * lost, shown twice or shown out of order. The longer soak (10,000 messages, two nodes) is
 * `npm run bench -- soak`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runChaos } from '../helpers/chaos.ts';

const dir = mkdtempSync(join(tmpdir(), 'p2sp-chaos-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it(
  'loses nothing, duplicates nothing and keeps order through drops, reloads and a SIGKILL',
  {
    timeout: 120_000,
  },
  async () => {
    const result = await runChaos({
      nodes: [{ DATABASE_URL: `sqlite:${join(dir, 'chat.db')}` }],
      users: 10,
      messages: 200,
      groupShare: 0.3,
      pauseMs: 15,
      socketDrops: 4,
      reloads: 2,
      serverKills: 1,
      settleMs: 45_000,
      seed: 20261201,
      log: process.env.TEST_LOG_LEVEL ? (line) => console.log(line) : undefined,
    });
    expect(result.faults).toEqual({ socketDrops: 4, reloads: 2, serverKills: 1 });
    expect(result.refused).toEqual([]);
    expect(result.sent).toBe(200);
    expect({
      lost: result.lost,
      duplicates: result.duplicates,
      outOfOrder: result.outOfOrder,
    }).toEqual({ lost: 0, duplicates: 0, outOfOrder: 0 });
  },
);
