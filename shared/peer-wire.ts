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

/**
 * Leaving: `ping` asks the peer to answer `pong` with the same `id`. The channel is ordered and
 * reliable, so a `pong` means the peer has every frame sent before the `ping`; a client signing out
 * waits for it before closing, because closing a channel at once can drop frames still queued in
 * its transport (a file's `file-cancel` behind its last chunks). Handled by the link itself
 * (web/src/core/peers.ts), like `hello`.
 */
export const pingFrame = z.object({ v, type: z.literal('ping'), id: messageId });
export const pongFrame = z.object({ v, type: z.literal('pong'), id: messageId });

/**
 * The sender is typing in our private conversation or in a group (`active`), or stopped. A hint
 * only: the receiver shows it for a few seconds unless another one renews it (web/src/core/typing.ts).
 */
export const typingFrame = z
  .object({
    v,
    type: z.literal('typing'),
    conversation: z.enum(['private', 'group']),
    groupId: z.optional(groupId),
    active: z.boolean(),
  })
  .check(
    z.refine(
      (f) => (f.conversation === 'group') === (f.groupId !== undefined),
      'a group typing frame names its group, a private one does not',
    ),
  );

// --- read receipts (issue 12) -------------------------------------------------------------------
/**
 * The sender has read every message up to and including `id`, the newest of the RECEIVER's
 * messages they have seen: in our private conversation, or in group `groupId`'s. The receiver
 * looks `id` up among its own messages only and checks it is in that conversation, so a peer
 * cannot touch anyone else's, nor read on someone else's behalf (the reader is the connection).
 */
export const readFrame = z.object({
  v,
  type: z.literal('read'),
  id: messageId,
  groupId: z.optional(groupId),
});
// --- end of read receipts -----------------------------------------------------------------------

// --- files (issue 13) ---------------------------------------------------------------------------
// A file goes browser to browser on the same data channel as the chat: JSON control frames below,
// and the data itself in binary chunk frames (`encodeChunk` / `parseChunk`) so it is not inflated
// by base64. A transfer is named by the sender's id; both ends key it by (peer, id, role), and the
// frames either side may send name the author's `role` so a peer reusing an id cannot steer the
// other direction's transfer.

const fileId = messageId;
const sha256Hex = z.string().check(z.regex(/^[0-9a-f]{64}$/, 'not a SHA-256 hex digest'));
const chunkIndex = z.number().check(z.int(), z.minimum(0), z.maximum(2 ** 31));
/** A file's name as the sender's disk called it: shown as text, never used as a path. */
export const fileName = z.string().check(
  z.minLength(1),
  z.maxLength(LIMITS.fileNameMax),
  z.refine((s) => s.trim() !== '', 'a file needs a name'),
  z.refine((s) => !LONE_SURROGATE.test(s), 'the name is not valid Unicode'),
  z.refine((s) => !CONTROL.test(s), 'the name contains control characters'),
  z.refine((s) => !/[/\\]/.test(s), 'a file name cannot contain a path'),
);
export const fileMime = z
  .string()
  .check(
    z.maxLength(LIMITS.fileMimeMax),
    z.regex(/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i, 'not a media type'),
  );
const role = z.enum(['sender', 'receiver']);
/**
 * Which digest `file-end` carries, named in the offer and echoed in the accept: `sha256-chunks`,
 * the content hash (web/src/core/files/digest.ts). Optional so an older client's frames still
 * parse and can be refused with a reason; a client takes only a name it computes.
 */
const digestName = z.optional(z.string().check(z.maxLength(32), z.regex(/^[a-z0-9-]+$/)));

export const fileOfferFrame = z
  .object({
    v,
    type: z.literal('file-offer'),
    id: fileId,
    conversation: z.enum(['private', 'group']),
    groupId: z.optional(groupId),
    name: fileName,
    size: z.number().check(z.int(), z.minimum(0), z.maximum(LIMITS.fileSizeWireMax)),
    mime: fileMime,
    chunkSize: z
      .number()
      .check(z.int(), z.minimum(LIMITS.fileChunkMin), z.maximum(LIMITS.fileChunkMax)),
    digest: digestName,
    sentAt: timestamp,
    /** A small preview sent ahead of the data, so the conversation shows something at once. */
    thumb: z.optional(
      z.object({
        mime: z.enum(['image/jpeg', 'image/png', 'image/webp']),
        data: z
          .string()
          .check(z.maxLength(LIMITS.fileThumbMax), z.regex(/^[A-Za-z0-9+/]+={0,2}$/, 'not base64')),
      }),
    ),
  })
  .check(
    z.refine(
      (f) => (f.conversation === 'group') === (f.groupId !== undefined),
      'a group file names its group, a private one does not',
    ),
  );

const window = z.number().check(z.int(), z.minimum(0), z.maximum(LIMITS.fileWindowMax));

/** Receiver: send me chunks from `from`, at most `window` of them beyond what I confirmed. */
export const fileAcceptFrame = z.object({
  v,
  type: z.literal('file-accept'),
  id: fileId,
  from: chunkIndex,
  window,
  digest: digestName,
});
/** Receiver: every chunk below `upTo` is stored and checked; the window slides to `upTo + window`. */
export const fileAckFrame = z.object({
  v,
  type: z.literal('file-ack'),
  id: fileId,
  upTo: chunkIndex,
  window,
});
/**
 * Either side: hold the transfer where it is. From a sender, `reason: 'file-closed'` says it
 * reloaded and no longer has the file open: the receiver keeps its chunks and waits for the file
 * to be picked again (a new `file-offer` of the same id), rather than ending the transfer.
 */
export const filePauseFrame = z.object({
  v,
  type: z.literal('file-pause'),
  id: fileId,
  role,
  reason: z.optional(z.enum(['file-closed'])),
});
/**
 * Either side, after a pause or a lost connection. From the receiver `from` says where to go on
 * (its last confirmed chunk); from the sender it asks the receiver to say so, with a `file-resume`
 * of its own.
 */
export const fileResumeFrame = z.object({
  v,
  type: z.literal('file-resume'),
  id: fileId,
  role,
  from: z.optional(chunkIndex),
});
export const FILE_CANCEL_REASONS = [
  'cancelled',
  'too-large',
  'refused',
  'corrupt',
  'gone',
  'protocol',
  'storage',
] as const;
export type FileCancelReason = (typeof FILE_CANCEL_REASONS)[number];
export const fileCancelFrame = z.object({
  v,
  type: z.literal('file-cancel'),
  id: fileId,
  role,
  reason: z.enum(FILE_CANCEL_REASONS),
});
/**
 * Sender: every chunk is out; `sha256` is the file's content hash, the SHA-256 of its chunks'
 * SHA-256s concatenated in order (web/src/core/files/digest.ts), checked before it shows done.
 */
export const fileEndFrame = z.object({
  v,
  type: z.literal('file-end'),
  id: fileId,
  sha256: sha256Hex,
});

export type FileOfferFrame = z.output<typeof fileOfferFrame>;
export type FileAcceptFrame = z.output<typeof fileAcceptFrame>;
export type FileAckFrame = z.output<typeof fileAckFrame>;
export type FilePauseFrame = z.output<typeof filePauseFrame>;
export type FileResumeFrame = z.output<typeof fileResumeFrame>;
export type FileCancelFrame = z.output<typeof fileCancelFrame>;
export type FileEndFrame = z.output<typeof fileEndFrame>;
export type FileFrame =
  | FileOfferFrame
  | FileAcceptFrame
  | FileAckFrame
  | FilePauseFrame
  | FileResumeFrame
  | FileCancelFrame
  | FileEndFrame;

export const isFileFrame = (frame: PeerFrame): frame is FileFrame => frame.type.startsWith('file-');

/**
 * A chunk frame, binary: `0x00` (no JSON text starts with it), the wire version, the id's length
 * and ASCII bytes, the chunk's index (uint32, big-endian), the SHA-256 of its data, then the data.
 */
export interface FileChunk {
  id: string;
  index: number;
  sha256: Uint8Array;
  data: Uint8Array;
}
const CHUNK_MARK = 0x00;
export const FILE_CHUNK_HEADER_MAX = 3 + LIMITS.messageIdMax + 4 + 32;
export const FILE_CHUNK_FRAME_MAX = FILE_CHUNK_HEADER_MAX + LIMITS.fileChunkMax;
const ID_BYTES = /^[A-Za-z0-9_-]+$/;

/** Is this raw channel data a chunk frame (rather than a JSON frame)? */
export const isChunkData = (raw: unknown): raw is Uint8Array =>
  raw instanceof Uint8Array && raw.byteLength > 0 && raw[0] === CHUNK_MARK;

export type ChunkResult = { ok: true; chunk: FileChunk } | { ok: false; error: string };

/** Parses a binary chunk frame. Never throws; the data is a view into `raw`, not a copy. */
export function parseChunk(raw: unknown): ChunkResult {
  const bytes =
    raw instanceof Uint8Array ? raw : raw instanceof ArrayBuffer ? new Uint8Array(raw) : null;
  if (bytes === null || bytes[0] !== CHUNK_MARK) return { ok: false, error: 'not a chunk frame' };
  if (bytes.byteLength > FILE_CHUNK_FRAME_MAX) return { ok: false, error: 'chunk too large' };
  if (bytes[1] !== PEER_WIRE_VERSION) return { ok: false, error: 'unsupported frame version' };
  const idLength = bytes[2] ?? 0;
  if (idLength < 1 || idLength > LIMITS.messageIdMax) return { ok: false, error: 'bad chunk id' };
  const dataAt = 3 + idLength + 4 + 32;
  if (bytes.byteLength < dataAt + 1) return { ok: false, error: 'chunk too short' };
  const id = String.fromCharCode(...bytes.subarray(3, 3 + idLength));
  if (!ID_BYTES.test(id)) return { ok: false, error: 'bad chunk id' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const index = view.getUint32(3 + idLength);
  if (index > 2 ** 31) return { ok: false, error: 'bad chunk index' };
  return {
    ok: true,
    chunk: {
      id,
      index,
      sha256: bytes.subarray(3 + idLength + 4, dataAt),
      data: bytes.subarray(dataAt),
    },
  };
}

/** Builds a chunk frame, refusing one a receiver would refuse. */
export function encodeChunk(chunk: FileChunk): Uint8Array {
  const { id, index, sha256, data } = chunk;
  if (!ID_BYTES.test(id) || id.length > LIMITS.messageIdMax) throw new Error('bad chunk id');
  if (!Number.isInteger(index) || index < 0 || index > 2 ** 31) throw new Error('bad chunk index');
  if (sha256.byteLength !== 32) throw new Error('a chunk hash is 32 bytes');
  if (data.byteLength < 1 || data.byteLength > LIMITS.fileChunkMax)
    throw new Error('bad chunk size');
  const out = new Uint8Array(3 + id.length + 4 + 32 + data.byteLength);
  out[0] = CHUNK_MARK;
  out[1] = PEER_WIRE_VERSION;
  out[2] = id.length;
  for (let i = 0; i < id.length; i++) out[3 + i] = id.charCodeAt(i);
  new DataView(out.buffer).setUint32(3 + id.length, index);
  out.set(sha256, 3 + id.length + 4);
  out.set(data, 3 + id.length + 4 + 32);
  return out;
}
// --- end of files ---------------------------------------------------------------------------------

const FRAME_SCHEMAS = {
  hello: helloFrame,
  msg: msgFrame,
  ack: ackFrame,
  ping: pingFrame,
  pong: pongFrame,
  typing: typingFrame,
  read: readFrame,
  // files (issue 13)
  'file-offer': fileOfferFrame,
  'file-accept': fileAcceptFrame,
  'file-ack': fileAckFrame,
  'file-pause': filePauseFrame,
  'file-resume': fileResumeFrame,
  'file-cancel': fileCancelFrame,
  'file-end': fileEndFrame,
} as const;

export type FrameType = keyof typeof FRAME_SCHEMAS;
export type HelloFrame = z.output<typeof helloFrame>;
export type MsgFrame = z.output<typeof msgFrame>;
export type AckFrame = z.output<typeof ackFrame>;
export type PingFrame = z.output<typeof pingFrame>;
export type PongFrame = z.output<typeof pongFrame>;
export type TypingFrame = z.output<typeof typingFrame>;
export type ReadFrame = z.output<typeof readFrame>;
export type PeerFrame =
  HelloFrame | MsgFrame | AckFrame | PingFrame | PongFrame | TypingFrame | ReadFrame | FileFrame;

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
  ping: (id: string): PingFrame => ({ v: PEER_WIRE_VERSION, type: 'ping', id }),
  pong: (id: string): PongFrame => ({ v: PEER_WIRE_VERSION, type: 'pong', id }),
  /** Read up to my message `id` in our private conversation, or in `groupId`'s. */
  read: (id: string, groupId?: number): ReadFrame =>
    groupId === undefined
      ? { v: PEER_WIRE_VERSION, type: 'read', id }
      : { v: PEER_WIRE_VERSION, type: 'read', id, groupId },
  /** Typing in a private conversation, or in `groupId`'s. */
  typing: (active: boolean, groupId?: number): TypingFrame =>
    groupId === undefined
      ? { v: PEER_WIRE_VERSION, type: 'typing', conversation: 'private', active }
      : { v: PEER_WIRE_VERSION, type: 'typing', conversation: 'group', groupId, active },
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
