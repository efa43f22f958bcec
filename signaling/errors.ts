import type { Logger } from 'pino';
import { AppError, type WireError } from '../shared/errors.ts';
import type { z } from 'zod';

/** A failed parse as a BAD_REQUEST that names the first bad field. */
export function badRequest(error: z.ZodError): AppError {
  const issue = error.issues[0];
  const field = issue?.path.join('.') || undefined;
  const message = issue
    ? field
      ? `${field}: ${issue.message}`
      : issue.message
    : 'invalid payload';
  return new AppError('BAD_REQUEST', message, field ? { field } : undefined);
}

/** What the client may see of an error: our own codes as they are, anything else as INTERNAL (and logged). */
export function toWire(err: unknown, logger: Logger, context: Record<string, unknown>): WireError {
  if (err instanceof AppError) return err.toWire();
  logger.error({ err, ...context }, 'unexpected error');
  return { code: 'INTERNAL', message: 'something went wrong on the server' };
}
