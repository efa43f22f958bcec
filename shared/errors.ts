/**
 * The closed catalogue of error codes that may cross the wire. Anything unexpected on the server
 * becomes INTERNAL for the client (and a logged error for the operator).
 */
export const ERROR_CODES = [
  'BAD_REQUEST', // payload failed its schema
  'UNAUTHENTICATED', // no token, or a dead one
  'FORBIDDEN', // authenticated but not allowed (not an admin, not the owner, ...)
  'INVALID_CREDENTIALS',
  'USERNAME_TAKEN',
  'USER_BLOCKED',
  'RATE_LIMITED',
  'NOT_FOUND', // no such user / group / request
  'SELF', // an action aimed at yourself that makes no sense (befriend yourself)
  'ALREADY_FRIENDS',
  'REQUEST_PENDING',
  'NOT_FRIENDS',
  'NOT_MEMBER',
  'ALREADY_MEMBER',
  'GROUP_EXISTS',
  'GROUP_LIMIT', // owns too many groups
  'GROUP_FULL',
  'GROUP_BLOCKED',
  'OFFLINE', // recipient not online (for the relay)
  'QUOTA_EXCEEDED', // recipient's offline mailbox is full
  'UNKNOWN_EVENT',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface WireError {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export type Ack<T> = { ok: true; data: T } | { ok: false; error: WireError };

/** HTTP status for each code, so REST and socket speak the same vocabulary. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  INVALID_CREDENTIALS: 401,
  USERNAME_TAKEN: 409,
  USER_BLOCKED: 403,
  RATE_LIMITED: 429,
  NOT_FOUND: 404,
  SELF: 400,
  ALREADY_FRIENDS: 409,
  REQUEST_PENDING: 409,
  NOT_FRIENDS: 403,
  NOT_MEMBER: 403,
  ALREADY_MEMBER: 409,
  GROUP_EXISTS: 409,
  GROUP_LIMIT: 409,
  GROUP_FULL: 409,
  GROUP_BLOCKED: 403,
  OFFLINE: 409,
  QUOTA_EXCEEDED: 507,
  UNKNOWN_EVENT: 400,
  INTERNAL: 500,
};

/** A rule was broken in a way the client should hear about. Thrown by services, caught at the edge. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
  toWire(): WireError {
    return this.details
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}
