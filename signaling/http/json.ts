/**
 * The small amount of HTTP plumbing the API needs: capped JSON bodies, JSON replies in the same
 * `{ ok, data | error }` shape as socket acks, and bearer tokens. (The client's address is
 * `client-address.ts`'s, shared with the socket handshake.)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HTTP_STATUS, type WireError } from '../../shared/errors.ts';
import { errors } from '../error-catalogue.ts';
import { LIMITS } from '../../shared/limits.ts';

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json')) {
    throw errors.notJson();
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > LIMITS.httpBodyMax) throw errors.bodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > LIMITS.httpBodyMax) throw errors.bodyTooLarge();
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw errors.invalidJson();
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export function sendOk(res: ServerResponse, data: unknown, status = 200): void {
  sendJson(res, status, { ok: true, data });
}

export function sendError(res: ServerResponse, error: WireError): void {
  const headers: Record<string, string> = {};
  const retry = error.details?.retryAfterMs;
  if (error.code === 'RATE_LIMITED' && typeof retry === 'number')
    headers['retry-after'] = String(Math.ceil(retry / 1000));
  sendJson(res, HTTP_STATUS[error.code], { ok: false, error }, headers);
}

export function bearerToken(req: IncomingMessage): string | null {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1] ?? null;
}
