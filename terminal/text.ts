/** The terminal's own words (prompts, notices, incoming lines), in English and 简体中文. */
import type { TransferState } from '../web/src/core/api.ts';
import type { CoreLang } from '../web/src/core/text.ts';

export interface TerminalText {
  welcome: (server: string) => string;
  password: string;
  passwordAgain: string;
  passwordsDiffer: string;
  passwordEmpty: string;
  signInFirst: string;
  alreadySignedIn: (me: string) => string;
  systemMark: string;
  friendRequest: (from: string) => string;
  invitation: (group: string, creator: string, inviter: string) => string;
  presence: (user: string, status: string) => string;
  whichGroup: (name: string, choices: string) => string;
  noSuchChoice: string;
  historyError: (why: string) => string;
  sessionEnded: (why: string) => string;
  bye: string;
  historyUsage: string;
  noHistory: string;
  terminalHelp: string[];
  files: FileText;
}

/** What a transfer is doing, in a word (FileTransfer['state']). */
type StateWords = Record<TransferState, string>;

/** The file commands' lines (terminal/files.ts). */
export interface FileText {
  usage: Record<'sendfile' | 'sendgroupfile' | 'savefile' | 'cancelfile', string>;
  noSuchFile: (path: string) => string;
  isDirectory: (path: string) => string;
  notAFile: (path: string) => string;
  cannotRead: (path: string, why: string) => string;
  tooLarge: (name: string, size: string, limit: string) => string;
  offline: (user: string) => string;
  noGroupMembers: (group: string) => string;
  sending: (name: string, size: string, to: string, n: number) => string;
  noSuchTransfer: (ref: string) => string;
  notIncoming: (n: number, name: string) => string;
  notArrived: (n: number, name: string, state: string) => string;
  exists: (path: string) => string;
  cannotWrite: (path: string, why: string) => string;
  saved: (name: string, path: string, size: string) => string;
  notLive: (n: number, name: string, state: string) => string;
  cancelled: (n: number, name: string) => string;
  noFiles: string;
  /** `3. ↓ photo.jpg (1.2 MiB) from alice: done` */
  line: (
    n: number,
    dir: 'in' | 'out',
    name: string,
    size: string,
    peer: string,
    state: string,
  ) => string;
  incoming: (from: string, name: string, size: string, n: number) => string;
  received: (from: string, name: string, n: number) => string;
  sent: (to: string, name: string) => string;
  failed: (dir: 'in' | 'out', peer: string, name: string, why: string) => string;
  stopped: (dir: 'in' | 'out', peer: string, name: string) => string;
  /** `↑ report.pdf → bob 42% 3.1 MiB/s 0:12 left`: `rate`/`eta` are empty when unknown. */
  progress: (
    dir: 'in' | 'out',
    peer: string,
    name: string,
    percent: number,
    rate: string,
    eta: string,
  ) => string;
  waiting: (count: number) => string;
  states: StateWords;
}

const en: TerminalText = {
  welcome: (server) => `P2SP Chat — ${server}. Type "help" for commands, "quit" to leave.`,
  password: 'password: ',
  passwordAgain: 'password again: ',
  passwordsDiffer: 'the two passwords differ; nothing was registered',
  passwordEmpty: 'the password must not be empty',
  signInFirst: 'sign in first: reg <username> or login <username>',
  alreadySignedIn: (me) => `already signed in as ${me}; logout first`,
  // The spec marks administrators' messages this way whatever the language.
  systemMark: '[系统消息]',
  friendRequest: (from) => `friend request from ${from} (accept ${from} / decline ${from})`,
  invitation: (g, c, i) =>
    `${i} invites you to ${g} (creator ${c}) (acceptgroup ${g} / declinegroup ${g})`,
  presence: (u, s) => `${u} is ${s}`,
  whichGroup: (name, choices) =>
    `more than one of your groups is named "${name}": ${choices}\nwhich one (number or creator)? `,
  noSuchChoice: 'not one of those; nothing was done',
  historyError: (why) => `could not save the history file: ${why}`,
  sessionEnded: (why) => `signed out: ${why}`,
  bye: 'bye',
  historyUsage: 'history <username|group-number>',
  noHistory: 'no messages kept on this device yet',
  terminalHelp: [
    'history <username|group-number> — The last messages kept on this device.',
    'quit (or exit, Ctrl-C) — Sign out and leave.',
    'sleep <seconds> — Wait (for scripts).',
    'sendfile <username> <path> — Send a file from this computer to a friend, directly (they must be online).',
    'sendgroupfile <group-number> <path> — Send a file to every online member of a group.',
    'files — List file transfers, numbered for savefile and cancelfile.',
    'savefile <n|id> [path] — Write a received file to a path (default: its name, here).',
    'cancelfile <n|id> — Stop a file transfer that is still going.',
  ],
  files: {
    usage: {
      sendfile: 'sendfile <username> <path>',
      sendgroupfile: 'sendgroupfile <group-number> <path>',
      savefile: 'savefile <n|id> [path]',
      cancelfile: 'cancelfile <n|id>',
    },
    noSuchFile: (p) => `no such file: ${p}`,
    isDirectory: (p) => `${p} is a directory; send the files in it one at a time`,
    notAFile: (p) => `${p} is not a regular file`,
    cannotRead: (p, why) => `cannot read ${p}: ${why}`,
    tooLarge: (name, size, limit) =>
      `${name} (${size}) is too large to send: files are limited to ${limit}`,
    offline: (u) => `files go directly: ${u} is offline`,
    noGroupMembers: (g) => `nobody else in ${g} can take the file`,
    sending: (name, size, to, n) =>
      `sending ${name} (${size}) to ${to}: transfer ${n} (cancelfile ${n} stops it)`,
    noSuchTransfer: (ref) => `no transfer ${ref}; type "files" to list them`,
    notIncoming: (n, name) => `transfer ${n} (${name}) is one you sent, not one you received`,
    notArrived: (n, name, state) => `transfer ${n} (${name}) has not arrived whole: ${state}`,
    exists: (p) => `${p} exists already; give another path`,
    cannotWrite: (p, why) => `cannot write ${p}: ${why}`,
    saved: (name, p, size) => `saved ${name} (${size}) to ${p}`,
    notLive: (n, name, state) =>
      `transfer ${n} (${name}) is not going (${state}); nothing to cancel`,
    cancelled: (n, name) => `cancelled transfer ${n} (${name})`,
    noFiles: 'no file transfers yet; sendfile <username> <path> sends one',
    line: (n, dir, name, size, peer, state) =>
      `${n}. ${dir === 'out' ? '↑' : '↓'} ${name} (${size}) ${dir === 'out' ? 'to' : 'from'} ${peer}: ${state}`,
    incoming: (from, name, size, n) => `${from} is sending you ${name} (${size}): transfer ${n}`,
    received: (from, name, n) =>
      `received ${name} from ${from}: savefile ${n} [path] writes it out`,
    sent: (to, name) => `sent ${name} to ${to}`,
    failed: (dir, peer, name, why) =>
      `${name} ${dir === 'out' ? 'to' : 'from'} ${peer} failed: ${why}`,
    stopped: (dir, peer, name) => `${name} ${dir === 'out' ? 'to' : 'from'} ${peer} was cancelled`,
    progress: (dir, peer, name, percent, rate, eta) =>
      `${dir === 'out' ? '↑' : '↓'} ${name} ${dir === 'out' ? '→' : '←'} ${peer} ${percent}%` +
      (rate ? ` ${rate}/s` : '') +
      (eta ? ` ${eta} left` : ''),
    waiting: (n) => `waiting for ${n} file transfer${n === 1 ? '' : 's'} to finish`,
    states: {
      offered: 'offered, waiting for the other side',
      moving: 'moving',
      paused: 'paused',
      waiting: 'waiting for the connection',
      verifying: 'checking',
      done: 'done',
      cancelled: 'cancelled',
      failed: 'failed',
      offline: 'not sent (offline)',
      interrupted: 'interrupted (the client closed while sending it)',
    },
  },
};

const zh: TerminalText = {
  welcome: (server) => `P2SP Chat — ${server}。输入 help 查看命令，quit 退出。`,
  password: '密码：',
  passwordAgain: '再次输入密码：',
  passwordsDiffer: '两次输入的密码不一致，未注册',
  passwordEmpty: '密码不能为空',
  signInFirst: '请先登录：reg <用户名> 或 login <用户名>',
  alreadySignedIn: (me) => `已登录为 ${me}；请先 logout`,
  systemMark: '[系统消息]',
  friendRequest: (from) => `${from} 请求加你为好友（accept ${from} 同意 / decline ${from} 拒绝）`,
  invitation: (g, c, i) =>
    `${i} 邀请你加入 ${g}（创建者 ${c}）（acceptgroup ${g} 同意 / declinegroup ${g} 拒绝）`,
  presence: (u, s) =>
    `${u} ${s === 'offline' ? '已离线' : s === 'online' ? '已上线' : `状态：${s}`}`,
  whichGroup: (name, choices) =>
    `你有多个名为“${name}”的群组：${choices}\n要哪一个（编号或创建者）？`,
  noSuchChoice: '不在其中，未执行',
  historyError: (why) => `无法保存聊天记录文件：${why}`,
  sessionEnded: (why) => `已退出登录：${why}`,
  bye: '再见',
  historyUsage: 'history <用户名|群组编号>',
  noHistory: '本机还没有保存消息',
  terminalHelp: [
    'history <用户名|群组编号> — 显示本机保存的最近消息。',
    'quit（或 exit、Ctrl-C）— 退出登录并离开。',
    'sleep <秒数> — 等待（用于脚本）。',
    'sendfile <用户名> <路径> — 把本机的文件直接发给好友（对方须在线）。',
    'sendgroupfile <群组编号> <路径> — 把文件发给群组里每个在线成员。',
    'files — 列出文件传输及编号（供 savefile 和 cancelfile 使用）。',
    'savefile <编号|id> [路径] — 把收到的文件保存到路径（默认：当前目录，用原文件名）。',
    'cancelfile <编号|id> — 取消仍在进行的文件传输。',
  ],
  files: {
    usage: {
      sendfile: 'sendfile <用户名> <路径>',
      sendgroupfile: 'sendgroupfile <群组编号> <路径>',
      savefile: 'savefile <编号|id> [路径]',
      cancelfile: 'cancelfile <编号|id>',
    },
    noSuchFile: (p) => `没有这个文件：${p}`,
    isDirectory: (p) => `${p} 是一个目录；请逐个发送其中的文件`,
    notAFile: (p) => `${p} 不是普通文件`,
    cannotRead: (p, why) => `无法读取 ${p}：${why}`,
    tooLarge: (name, size, limit) => `${name}（${size}）太大，无法发送：文件上限为 ${limit}`,
    offline: (u) => `文件直接发送：${u} 不在线`,
    noGroupMembers: (g) => `${g} 里没有其他人可以接收文件`,
    sending: (name, size, to, n) =>
      `正在把 ${name}（${size}）发给 ${to}：传输 ${n}（cancelfile ${n} 可取消）`,
    noSuchTransfer: (ref) => `没有传输 ${ref}；输入 files 查看`,
    notIncoming: (n, name) => `传输 ${n}（${name}）是你发出的，不是收到的`,
    notArrived: (n, name, state) => `传输 ${n}（${name}）尚未完整收到：${state}`,
    exists: (p) => `${p} 已存在；请换一个路径`,
    cannotWrite: (p, why) => `无法写入 ${p}：${why}`,
    saved: (name, p, size) => `已把 ${name}（${size}）保存到 ${p}`,
    notLive: (n, name, state) => `传输 ${n}（${name}）不在进行中（${state}），无需取消`,
    cancelled: (n, name) => `已取消传输 ${n}（${name}）`,
    noFiles: '还没有文件传输；用 sendfile <用户名> <路径> 发送',
    line: (n, dir, name, size, peer, state) =>
      `${n}. ${dir === 'out' ? '↑' : '↓'} ${name}（${size}）${dir === 'out' ? '发给' : '来自'} ${peer}：${state}`,
    incoming: (from, name, size, n) => `${from} 正在给你发送 ${name}（${size}）：传输 ${n}`,
    received: (from, name, n) => `已收到 ${from} 发来的 ${name}：用 savefile ${n} [路径] 保存`,
    sent: (to, name) => `已把 ${name} 发给 ${to}`,
    failed: (dir, peer, name, why) =>
      `${dir === 'out' ? `发给 ${peer}` : `来自 ${peer}`} 的 ${name} 传输失败：${why}`,
    stopped: (dir, peer, name) =>
      `${dir === 'out' ? `发给 ${peer}` : `来自 ${peer}`} 的 ${name} 已取消`,
    progress: (dir, peer, name, percent, rate, eta) =>
      `${dir === 'out' ? '↑' : '↓'} ${name} ${dir === 'out' ? '→' : '←'} ${peer} ${percent}%` +
      (rate ? ` ${rate}/s` : '') +
      (eta ? ` 剩余 ${eta}` : ''),
    waiting: (n) => `正在等待 ${n} 个文件传输完成`,
    states: {
      offered: '已发出，等待对方',
      moving: '传输中',
      paused: '已暂停',
      waiting: '等待连接',
      verifying: '校验中',
      done: '完成',
      cancelled: '已取消',
      failed: '失败',
      offline: '未发送（对方离线）',
      interrupted: '已中断（发送时客户端已关闭）',
    },
  },
};

export const TERMINAL_TEXT: Record<CoreLang, TerminalText> = { en, zh };
