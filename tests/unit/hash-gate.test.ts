import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.ts';
import { HashGate, passwordGate, verifyPassword } from '../../signaling/services/passwords.ts';

/** A job that finishes when told to, recording when it ran. */
function controllable(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  return {
    job: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
      return name;
    },
    finish: () => finish(),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('HashGate', () => {
  it('runs at most `slots` jobs at once, the rest in arrival order', async () => {
    const gate = new HashGate(2, 10);
    const log: string[] = [];
    const jobs = ['a', 'b', 'c', 'd'].map((n) => controllable(log, n));
    const results = jobs.map((j) => gate.run(j.job));
    await tick();
    expect(log).toEqual(['start a', 'start b']);
    expect([gate.running, gate.queued]).toEqual([2, 2]);
    jobs[1]?.finish();
    await tick();
    expect(log).toEqual(['start a', 'start b', 'end b', 'start c']);
    jobs[0]?.finish();
    jobs[2]?.finish();
    jobs[3]?.finish();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
    expect([gate.running, gate.queued]).toEqual([0, 0]);
  });

  it('refuses with RATE_LIMITED "server busy" once the queue is full, and recovers', async () => {
    const gate = new HashGate(1, 1);
    const log: string[] = [];
    const first = controllable(log, 'first');
    const second = controllable(log, 'second');
    const running = gate.run(first.job);
    const waiting = gate.run(second.job);
    const refused = await gate.run(async () => 'never').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('RATE_LIMITED');
    expect((refused as AppError).message).toMatch(/^server busy, try again in \d+ s$/);
    expect((refused as AppError).toWire().details).toEqual({ retryAfterMs: expect.any(Number) });
    first.finish();
    second.finish();
    await Promise.all([running, waiting]);
    expect(await gate.run(async () => 'again')).toBe('again');
    expect(log).not.toContain('start never');
  });

  it('frees the slot when a job fails', async () => {
    const gate = new HashGate(1, 5);
    await expect(
      gate.run(async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await gate.run(async () => 1)).toBe(1);
    expect(gate.running).toBe(0);
  });

  it('guards verifyPassword: a malformed hash is false, not an error, and no slot leaks', async () => {
    expect(passwordGate.slots).toBeGreaterThanOrEqual(1);
    expect(await verifyPassword('not a hash', 'whatever')).toBe(false);
    expect([passwordGate.running, passwordGate.queued]).toEqual([0, 0]);
  });
});
