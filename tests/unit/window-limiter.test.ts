import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.ts';
import { WindowLimiter } from '../../signaling/services/rate-limits.ts';

describe('WindowLimiter', () => {
  it('refuses past the budget with the wait, and opens a new window when the old one ends', () => {
    let t = 0;
    const limiter = new WindowLimiter('things', { points: 2, durationSec: 10 }, () => t);
    limiter.consume('u1');
    limiter.consume('u1');
    t = 4_000;
    let refused: unknown;
    try {
      limiter.consume('u1');
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).toWire()).toEqual({
      code: 'RATE_LIMITED',
      message: 'too many things; try again in 6 s',
      details: { retryAfterMs: 6_000 },
    });
    t = 10_000;
    expect(() => limiter.consume('u1')).not.toThrow();
  });

  it('keeps no window longer than two window lengths after its key went quiet', () => {
    let t = 0;
    const limiter = new WindowLimiter('things', { points: 5, durationSec: 10 }, () => t);
    for (let i = 0; i < 1000; i++) limiter.consume(`user${i}`);
    expect(limiter.size).toBe(1000);
    t = 10_000;
    limiter.consume('active');
    t = 20_000;
    limiter.consume('active');
    expect(limiter.size).toBe(1);
  });

  it('a window that spans a rotation keeps its count', () => {
    let t = 0;
    const limiter = new WindowLimiter('things', { points: 2, durationSec: 10 }, () => t);
    limiter.consume('other');
    t = 9_000;
    limiter.consume('u');
    limiter.consume('u');
    t = 11_000; // the generations rotate here; u's window runs until 19 s
    expect(() => limiter.consume('u')).toThrow(/too many things/);
  });
});
