import type { Logger } from 'pino';
import { AppError, type WireError } from '../shared/errors.ts';
import { errors } from './error-catalogue.ts';
import type { z } from 'zod';

/**
 * A failed parse as a BAD_REQUEST that names the first bad field, and the rule it broke when the
 * schema names one (a username's `invisible`, `mixed-script`, ...: shared/names.ts).
 */
export function badRequest(error: z.ZodError): AppError {
  const issue = error.issues[0];
  const rule = issue?.code === 'custom' ? (issue.params as { rule?: unknown })?.rule : undefined;
  return errors.badRequest({
    problem: issue?.message ?? 'invalid payload',
    field: issue?.path.join('.') || undefined,
    rule: typeof rule === 'string' ? rule : undefined,
  });
}

/** The schema's output, or the BAD_REQUEST of `badRequest`: every surface parses this way. */
export function parseOrRefuse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(result.error);
  return result.data;
}

/** What the client may see of an error: our own codes as they are, anything else as INTERNAL (and logged). */
export function toWire(err: unknown, logger: Logger, context: Record<string, unknown>): WireError {
  if (err instanceof AppError) return err.toWire();
  logger.error({ err, ...context }, 'unexpected error');
  return errors.internal().toWire();
}
