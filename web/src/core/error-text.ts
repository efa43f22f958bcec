/**
 * The server's (and the engine's) errors in Chinese, chosen by `code` and `details` (PROTOCOL.md's
 * error table), never by the English `message`. Keyed by every ErrorCode, so a code added to
 * shared/errors.ts fails the type check until it has a sentence here. `null` means "no translation
 * for these details": the caller then shows the English words. Plain TypeScript in the engine's
 * folder: the web UI, the engine's command lines and the terminal client all word errors with
 * `wireErrorText`, the one rule for it.
 */
import type { ErrorCode, WireError } from '../../../shared/errors.ts';
import { LIMITS } from '../../../shared/limits.ts';

type Details = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

const FIELDS: Record<string, string> = {
  username: '用户名',
  password: '密码',
  oldPassword: '当前密码',
  newPassword: '新密码',
  text: '消息内容',
  name: '名称',
  group: '群组名称',
  status: '状态',
  publicKey: '公钥',
  backup: '密钥备份',
};

const USERNAME_RULES: Record<string, string> = {
  length: `用户名长度须为 ${LIMITS.usernameMin}–${LIMITS.usernameMax} 个字符。`,
  invisible: '用户名不能包含不可见字符或特殊空白。',
  characters: '用户名只能包含字母、数字和 _ - . 这几个符号。',
  'mixed-script': '用户名不能混用不同文字的字母（例如拉丁字母夹杂西里尔字母）。',
};

export const ZH_ERRORS: Record<ErrorCode, (d: Details) => string | null> = {
  BAD_REQUEST: (d) => {
    const rule = str(d.rule);
    if (rule && USERNAME_RULES[rule]) return USERNAME_RULES[rule];
    const field = str(d.field);
    if (!field) return null;
    return `${FIELDS[field] ?? field}不符合要求，请检查后重试。`;
  },
  UNAUTHENTICATED: () => '登录已失效，请重新登录。',
  FORBIDDEN: (d) => {
    const username = str(d.username);
    if (d.reason === 'key-changed' && username)
      return `${username} 的安全密钥已更改：请核对安全码并接受新密钥，然后再发送。`;
    if (d.reason === 'system-conversation') return '系统消息无法回复。';
    return d.groupId !== undefined ? '你在该群组中的权限不足。' : '你没有权限执行此操作。';
  },
  INVALID_CREDENTIALS: () => '用户名或密码错误。',
  USERNAME_TAKEN: (d) => {
    const similar = str(d.similarTo);
    if (d.rule === 'confusable' && similar)
      return `该用户名与已有用户“${similar}”太相似，请换一个。`;
    return '该用户名已被占用，请换一个。';
  },
  USER_BLOCKED: () => '该账号已被管理员封禁。',
  RATE_LIMITED: (d) => {
    const ms = typeof d.retryAfterMs === 'number' ? d.retryAfterMs : null;
    if (ms === null) return '操作太频繁，请稍后再试。';
    return `操作太频繁，请 ${Math.max(1, Math.ceil(ms / 1000))} 秒后再试。`;
  },
  NOT_FOUND: (d) => {
    const username = str(d.username);
    if (d.reason === 'no-key' && username)
      return `${username} 还没有安全密钥（对方需要先用此应用登录一次）。`;
    if (username) return `找不到用户“${username}”。`;
    if (d.groupId !== undefined) return '找不到该群组，或你没有收到它的邀请。';
    return '找不到对应的用户、群组或请求。';
  },
  SELF: () => '不能对自己执行此操作。',
  ALREADY_FRIENDS: () => '你们已经是好友了。',
  REQUEST_PENDING: () => '你已经发送过好友请求，请等待对方回应。',
  NOT_FRIENDS: () => '你们还不是好友。',
  NOT_MEMBER: (d) => (d.groupId !== undefined ? '你不是该群组的成员。' : '该用户不在此群组中。'),
  // rooms:join names the room (details.groupId) when it is you who are in it already.
  ALREADY_MEMBER: (d) =>
    d.groupId !== undefined ? '你已经在这个聊天室里了。' : '该用户已在群组中。',
  GROUP_EXISTS: () => '你已经创建过同名的群组。',
  GROUP_LIMIT: () => `你创建的群组已达上限（${LIMITS.groupsOwnedMax} 个）。`,
  GROUP_FULL: () => '群组的成员或待处理邀请已达上限。',
  GROUP_BLOCKED: () => '该群组已被管理员封禁。',
  OFFLINE: () => '对方当前不在线。',
  QUOTA_EXCEEDED: () => '对方的离线信箱已满，请稍后再试。',
  UNKNOWN_EVENT: () => '服务器无法识别此请求，请刷新页面后重试。',
  INTERNAL: () => '服务器出了点问题，请稍后再试。',
};

/**
 * An error as a sentence in `lang`: English is the error's own message (the server's words, or
 * the engine's); Chinese is chosen by code and details, or the English where there is no
 * translation for those details.
 */
export function wireErrorText(wire: WireError, lang: 'en' | 'zh'): string {
  if (lang === 'en') return wire.message;
  return ZH_ERRORS[wire.code](wire.details ?? {}) ?? wire.message;
}
