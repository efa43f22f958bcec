/**
 * The peer wire format: what travels on a WebRTC data channel between two browsers, and what a
 * sender hands the server's offline store (the same `msg` frame, as JSON, sealed to the recipient:
 * web/src/core/e2ee/seal.ts; the server sees only the sealed text).
 *
 * Every frame is versioned and parsed like a server event: size-capped before JSON.parse, then
 * checked against a schema. A frame never says who sent it: the sender is the peer connection's
 * username, which the server stamped on the signals that opened it.
 */
// zod/mini, not zod: this module is in the browser's first load, and the tree-shakable build is a
// fraction of the size. The server's own schemas (schemas.ts) use the classic API.
import * as z from 'zod/mini';
import { LIMITS, MESSAGE_ID_PATTERN, USERNAME_PATTERN } from './limits.ts';

const username = z
  .string()
  .check(
    z.minLength(LIMITS.usernameMin),
    z.maxLength(LIMITS.usernameMax),
    z.regex(USERNAME_PATTERN, 'not a username'),
  );
const messageId = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(LIMITS.messageIdMax),
    z.regex(MESSAGE_ID_PATTERN, 'not a message id'),
  );
const groupId = z.number().check(z.int(), z.positive(), z.maximum(Number.MAX_SAFE_INTEGER));

export const PEER_WIRE_VERSION = 1;

/**
 * Largest raw frame accepted, in UTF-16 code units for text and bytes for binary. Equal to the
 * offline store's payload cap so any frame we accept could also have been stored; a full-length
 * message of escaped control characters or CJK text still fits.
 */
export const PEER_FRAME_MAX = LIMITS.offlinePayloadMax;

/** A lone surrogate cannot be encoded as UTF-8 and garbles rendering. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** C0/C1 controls other than tab, newline and carriage return have no business in chat text. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/** One chat message's text, as a user typed it. Rendered as text, never as HTML. */
export const messageText = z.string().check(
  z.maxLength(LIMITS.messageTextMax, `a message has at most ${LIMITS.messageTextMax} characters`),
  z.refine((s) => s.trim() !== '', 'say something'),
  z.refine((s) => !LONE_SURROGATE.test(s), 'the text is not valid Unicode'),
  z.refine((s) => !CONTROL.test(s), 'the text contains control characters'),
);

/** Milliseconds since the epoch; bounded so a hostile clock cannot produce an invalid Date. */
const timestamp = z.number().check(z.int(), z.minimum(0), z.maximum(8.64e15));

const v = z.literal(PEER_WIRE_VERSION);

export const helloFrame = z.object({ v, type: z.literal('hello'), username });

export const msgFrame = z
  .object({
    v,
    type: z.literal('msg'),
    id: messageId,
    conversation: z.enum(['private', 'group']),
    groupId: z.optional(groupId),
    text: messageText,
    sentAt: timestamp,
  })
  .check(
    z.refine(
      (f) => (f.conversation === 'group') === (f.groupId !== undefined),
      'a group message names its group, a private one does not',
    ),
  );

export const ackFrame = z.object({ v, type: z.literal('ack'), id: messageId });

export const typingFrame = z.object({
  v,
  type: z.literal('typing'),
  conversation: z.enum(['private', 'group']),
  groupId: z.optional(groupId),
  active: z.boolean(),
});

const FRAME_SCHEMAS = {
  hello: helloFrame,
  msg: msgFrame,
  ack: ackFrame,
  typing: typingFrame,
} as const;

export type FrameType = keyof typeof FRAME_SCHEMAS;
export type HelloFrame = z.output<typeof helloFrame>;
export type MsgFrame = z.output<typeof msgFrame>;
export type AckFrame = z.output<typeof ackFrame>;
export type TypingFrame = z.output<typeof typingFrame>;
export type PeerFrame = HelloFrame | MsgFrame | AckFrame | TypingFrame;

export type FrameResult = { ok: true; frame: PeerFrame } | { ok: false; error: string };

const isFrameType = (t: unknown): t is FrameType =>
  typeof t === 'string' && Object.hasOwn(FRAME_SCHEMAS, t);

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Raw channel data (text, or bytes as simple-peer delivers them in Node) to text, size first. */
function rawText(raw: unknown): { ok: true; text: string } | { ok: false; error: string } {
  if (typeof raw === 'string') {
    return raw.length > PEER_FRAME_MAX
      ? { ok: false, error: 'frame too large' }
      : { ok: true, text: raw };
  }
  const bytes =
    raw instanceof Uint8Array ? raw : raw instanceof ArrayBuffer ? new Uint8Array(raw) : null;
  if (bytes === null) return { ok: false, error: 'frame is not text' };
  if (bytes.byteLength > PEER_FRAME_MAX) return { ok: false, error: 'frame too large' };
  try {
    return { ok: true, text: utf8.decode(bytes) };
  } catch {
    return { ok: false, error: 'frame is not UTF-8' };
  }
}

/** Parses one frame from a peer (or an offline payload). Never throws. */
export function parseFrame(raw: unknown): FrameResult {
  const text = rawText(raw);
  if (!text.ok) return text;
  let value: unknown;
  try {
    value = JSON.parse(text.text);
  } catch {
    return { ok: false, error: 'frame is not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: 'frame is not an object' };
  }
  const { v: version, type } = value as { v?: unknown; type?: unknown };
  if (version !== PEER_WIRE_VERSION) return { ok: false, error: 'unsupported frame version' };
  if (!isFrameType(type)) return { ok: false, error: 'unknown frame type' };
  const parsed = FRAME_SCHEMAS[type].safeParse(value);
  if (!parsed.success) {
    return { ok: false, error: `bad ${type} frame: ${parsed.error.issues[0]?.message ?? ''}` };
  }
  return { ok: true, frame: parsed.data };
}

/** Serialises a frame we built, refusing one a peer would refuse (the same rules both ways). */
export function encodeFrame(frame: PeerFrame): string {
  const parsed = FRAME_SCHEMAS[frame.type].safeParse(frame);
  if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'invalid frame');
  const text = JSON.stringify(parsed.data);
  if (text.length > PEER_FRAME_MAX) throw new Error('message too large to send');
  return text;
}

/**
 * Frame builders: the one place a frame we send gets its version stamped. They build; `encodeFrame`
 * checks and serialises.
 */
export const frames = {
  hello: (username: string): HelloFrame => ({ v: PEER_WIRE_VERSION, type: 'hello', username }),
  ack: (id: string): AckFrame => ({ v: PEER_WIRE_VERSION, type: 'ack', id }),
  /** A chat message; `groupId` makes it a group message. */
  msg: (message: { id: string; text: string; sentAt: number }, groupId?: number): MsgFrame => {
    const { id, text, sentAt } = message;
    return groupId === undefined
      ? { v: PEER_WIRE_VERSION, type: 'msg', id, conversation: 'private', text, sentAt }
      : { v: PEER_WIRE_VERSION, type: 'msg', id, conversation: 'group', groupId, text, sentAt };
  },
};

/**
 * What an offline store `payload` means, by the envelope's `kind`: a `system` payload is an
 * administrator's text (the server wrote it, in the clear: it is the server's own word); any other
 * is a sealed `msg` frame from a peer, which the receiver opens (e2ee/keys.ts) and passes here as
 * `payload` to be parsed like a frame from a data channel. The one decoder of that rule.
 */
export type OfflinePayload =
  | { kind: 'system'; text: string }
  | { kind: 'msg'; frame: MsgFrame }
  | { kind: 'invalid'; error: string };

export function decodeOfflinePayload(stored: { kind: string; payload: string }): OfflinePayload {
  if (stored.kind === 'system')
    return { kind: 'system', text: stored.payload.slice(0, LIMITS.systemTextMax) };
  const parsed = parseFrame(stored.payload);
  if (!parsed.ok) return { kind: 'invalid', error: parsed.error };
  if (parsed.frame.type !== 'msg') return { kind: 'invalid', error: 'not a msg frame' };
  return { kind: 'msg', frame: parsed.frame };
}

/**
 * What we put in `signal:send`: simple-peer's signal objects wrapped with a connection id, so a
 * late answer or candidate for a connection that was replaced is recognised and dropped. `knock`
 * asks the other side to initiate (only the lexicographically smaller username initiates). An
 * offer or answer carries `auth`: the sender's signature over its DTLS fingerprints, the id and
 * both names (e2ee/channel-auth.ts); one without a valid `auth` is refused.
 */
export const peerSignal = z.object({
  v,
  sid: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/)),
  knock: z.optional(z.literal(true)),
  data: z.optional(z.record(z.string(), z.unknown())),
  auth: z.optional(z.string().check(z.maxLength(128))),
});
export type PeerSignal = z.output<typeof peerSignal>;

/** Signal builders, stamping the version like `frames`. */
export const signals = {
  knock: (sid: string): PeerSignal => ({ v: PEER_WIRE_VERSION, sid, knock: true }),
  data: (sid: string, data: Record<string, unknown>, auth?: string): PeerSignal => ({
    v: PEER_WIRE_VERSION,
    sid,
    data,
    ...(auth === undefined ? {} : { auth }),
  }),
};
