/** The terminal's own words (prompts, notices, incoming lines), in English and 简体中文. */
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
  ],
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
  ],
};

export const TERMINAL_TEXT: Record<CoreLang, TerminalText> = { en, zh };
