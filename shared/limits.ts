/**
 * Sizes and counts every side agrees on. The server enforces them; clients use them to reject early
 * and to render hints. Changing one here changes it everywhere.
 */
export const LIMITS = {
  usernameMin: 2,
  usernameMax: 32,
  passwordMin: 8,
  /** Argon2 hashes anything; the cap keeps a hostile client from making us hash megabytes. */
  passwordMax: 256,
  groupNameMin: 1,
  groupNameMax: 64,
  /** Text of one chat message, in UTF-16 code units (what JavaScript's `length` counts). */
  messageTextMax: 8_000,
  /** An opaque offline payload as stored by the server (characters; clients send base64/JSON). */
  offlinePayloadMax: 64 * 1024,
  /** A WebRTC signal (SDP offers run to a few KB; candidates are small). */
  signalMax: 16 * 1024,
  /** A published public key: opaque to the server (clients send base64 or similar). */
  publicKeyMax: 4_096,
  /**
   * The private key's backup, wrapped by the client with a key derived from the password: opaque
   * to the server, which stores it so a new device can restore it.
   */
  keyBackupMax: 8_192,
  messageIdMax: 64,
  /** Offline messages acknowledged in one `offline:ack`. */
  ackBatchMax: 1_000,
  /** Socket.IO frames: anything larger is refused by the transport before a handler runs. */
  socketFrameMax: 256 * 1024,
  /** HTTP JSON bodies. */
  httpBodyMax: 16 * 1024,
  groupsOwnedMax: 10,
  groupMembersDefault: 50,
  systemTextMax: 2_000,
  /**
   * Delivery receipts (issue 12) the server keeps for one sender until they acknowledge them; past
   * this the oldest go (the sender then shows such a message as stored, not delivered).
   */
  receiptsPerSenderMax: 1_000,
  // --- files (issue 13): sent browser to browser, never through the server ---
  /** Default largest file a client sends or accepts; each engine may set its own (`maxFileBytes`). */
  fileSizeDefaultMax: 2 * 1024 ** 3,
  /** Largest size an offer may announce at all (1 TiB): a bound for the arithmetic, not a policy. */
  fileSizeWireMax: 1024 ** 4,
  /** Bytes of file data in one chunk frame; SCTP in every browser carries 64 KiB messages whole. */
  fileChunkMax: 64 * 1024,
  fileChunkMin: 1024,
  fileNameMax: 255,
  fileMimeMax: 127,
  /** A thumbnail in an offer, base64: it shares the frame with the offer's metadata. */
  fileThumbMax: 40_000,
  /** Chunks a receiver lets a sender have in flight beyond what it confirmed. */
  fileWindowMax: 256,
} as const;

/**
 * Usernames: letters of any script (Chinese users are half our users), digits, `_`, `-`, `.`.
 * No spaces, so the command language can name a user without quoting.
 */
export const USERNAME_PATTERN = /^[\p{L}\p{N}_.-]+$/u;

/** Message ids: client-generated, used to dedupe; safe in URLs, logs and SQL without quoting worries. */
export const MESSAGE_ID_PATTERN = /^[A-Za-z0-9_-]+$/;

export const PRESENCE_STATUSES = ['online', 'away', 'busy', 'offline'] as const;
export type PresenceStatus = (typeof PRESENCE_STATUSES)[number];
/** What a user may set themselves to; `offline` is the server's to decide. */
export const SETTABLE_STATUSES = ['online', 'away', 'busy'] as const;
export type SettableStatus = (typeof SETTABLE_STATUSES)[number];
