/**
 * The engine's own words (command results, list formats, delivery outcomes) in English and
 * 简体中文, as plain TypeScript: the terminal client runs them under Node with no build step, and
 * the web's messages (messages/*.json, compiled by Paraglide) stay about the web's UI.
 * `Record<CoreLang, CoreText>` makes a missing Chinese line a type error, as check-messages does
 * for the web's.
 */
import { problemText, type IntentKind, type UsageDetail } from '../../../shared/commands.ts';
import type { WireError } from '../../../shared/errors.ts';
import { wireErrorText } from './error-text.ts';

export type CoreLang = 'en' | 'zh';

export interface CoreText {
  registered: (me: string) => string;
  signedIn: (me: string) => string;
  signedOut: string;
  passwordNeeded: (command: 'reg' | 'login') => string;
  status: (s: string) => string;
  nowFriends: (u: string) => string;
  requestSent: (u: string) => string;
  declined: (u: string) => string;
  unfriended: (u: string) => string;
  noFriends: string;
  friendLine: (u: string, status: string) => string;
  requestsFrom: (users: string) => string;
  waitingFor: (users: string) => string;
  createdGroup: (n: number, name: string) => string;
  deletedGroup: (name: string) => string;
  invited: (u: string, group: string) => string;
  joined: (group: string) => string;
  declinedInvitation: (group: string) => string;
  removedFromGroup: (u: string, group: string) => string;
  leftGroup: (group: string) => string;
  /** An owner left: the server handed the group on (issue 12: say to whom). */
  leftGroupNewOwner: (group: string, owner: string) => string;
  /** The last member left: the group went with them. */
  leftGroupDeleted: (group: string) => string;
  noGroups: string;
  /** The spec's `[number] [group name] [creator] [online/total]`. */
  groupLine: (n: number, name: string, creator: string, online: number, total: number) => string;
  blockedMark: string;
  invitationsHeader: string;
  invitationLine: (n: number, name: string, creator: string, inviter: string) => string;
  noGroupNumber: (n: number) => string;
  noGroupNamed: (name: string) => string;
  ambiguousGroup: (name: string, choices: string) => string;
  noInvitation: (ref: number | string) => string;
  noUsers: string;
  userLine: (u: string, status: string, admin: boolean, blocked: boolean) => string;
  noAllGroups: string;
  systemSentUser: (u: string) => string;
  systemSentGroup: (group: string, creator: string) => string;
  broadcastSent: string;
  userBlocked: (u: string, blocked: boolean) => string;
  groupBlocked: (group: string, creator: string, blocked: boolean) => string;
  fanout: (delivered: number, stored: number, total: number) => string;
  delivered: (to: string, fanout: string) => string;
  stored: (to: string, fanout: string) => string;
  failed: (to: string, why: string) => string;
  /** An error (a failed message's `failure`, say) as a sentence in this language. */
  errorText: (wire: WireError) => string;
  sending: (to: string) => string;
  unknownError: string;
  unknownCommand: (typed: string, suggestion: string | undefined) => string;
  usage: (command: string, problem: string, usage: string) => string;
  /** A problem with a command named but no usage line to add (a quote left open). */
  commandProblem: (command: string, problem: string) => string;
  /** What was wrong with a command line (shared/commands.ts `UsageDetail`), in this language. */
  problem: (detail: UsageDetail) => string;
  /** Only a `/` (or nothing before the words): no command name. */
  missingCommandName: string;
  emptyCommand: string;
  helpUsage: (usage: string) => string;
  helpAliases: (aliases: string) => string;
  adminOnly: string;
  /** One line per command for `help`, in this language. */
  descriptions: Record<IntentKind, string>;
}

const en: CoreText = {
  registered: (me) => `registered and signed in as ${me}`,
  signedIn: (me) => `signed in as ${me}`,
  signedOut: 'signed out',
  passwordNeeded: (c) => `${c}: type the password too: ${c} <username> <password>`,
  status: (s) => `status: ${s}`,
  nowFriends: (u) => `you and ${u} are now friends`,
  requestSent: (u) => `friend request sent to ${u}`,
  declined: (u) => `declined ${u}`,
  unfriended: (u) => `${u} is no longer your friend`,
  noFriends: 'no friends yet; add one with: add <username>',
  friendLine: (u, s) => `${u} (${s})`,
  requestsFrom: (users) => `requests from: ${users} (accept <username> or decline <username>)`,
  waitingFor: (users) => `waiting for: ${users}`,
  createdGroup: (n, name) => `created group ${n}. ${name}`,
  deletedGroup: (name) => `deleted group ${name}`,
  invited: (u, g) => `invited ${u} to ${g}; they join when they accept`,
  joined: (g) => `joined ${g}`,
  declinedInvitation: (g) => `declined the invitation to ${g}`,
  removedFromGroup: (u, g) => `removed ${u} from ${g}`,
  leftGroup: (g) => `left ${g}`,
  leftGroupNewOwner: (g, owner) => `left ${g}; ${owner} owns it now`,
  leftGroupDeleted: (g) => `left ${g}; you were its last member, so it was deleted`,
  noGroups: 'no groups yet; create one with: newgroup <name>',
  groupLine: (n, name, creator, online, total) =>
    `${n}. ${name} (creator ${creator}) ${online}/${total} online`,
  blockedMark: ' [blocked]',
  invitationsHeader: 'invitations (acceptgroup <n> or declinegroup <n>):',
  invitationLine: (n, name, creator, inviter) =>
    `${n}. ${name} (creator ${creator}), invited by ${inviter}`,
  noGroupNumber: (n) => `no group number ${n}; type "groups" to list yours`,
  noGroupNamed: (name) => `you have no group named "${name}"; type "groups" to list yours`,
  ambiguousGroup: (name, choices) =>
    `more than one of your groups is named "${name}": ${choices}; say which by its number`,
  noInvitation: (ref) =>
    `no invitation ${typeof ref === 'number' ? `number ${ref}` : `to "${ref}"`}; type "groups" to list yours`,
  noUsers: 'no users',
  userLine: (u, s, admin, blocked) =>
    `${u} (${s})${admin ? ' [admin]' : ''}${blocked ? ' [blocked]' : ''}`,
  noAllGroups: 'no groups',
  systemSentUser: (u) => `system message sent to ${u}`,
  systemSentGroup: (g, c) => `system message sent to ${g} (creator ${c})`,
  broadcastSent: 'broadcast sent',
  userBlocked: (u, b) => `${u} is ${b ? 'blocked' : 'unblocked'}`,
  groupBlocked: (g, c, b) => `${g} (creator ${c}) is ${b ? 'blocked' : 'unblocked'}`,
  fanout: (d, s, t) => ` (${d} direct, ${s} stored, of ${t})`,
  delivered: (to, f) => `delivered to ${to}${f}`,
  stored: (to, f) => `stored on the server for ${to}; delivered when they sign in${f}`,
  failed: (to, why) => `not sent to ${to}: ${why}`,
  errorText: (wire) => wireErrorText(wire, 'en'),
  sending: (to) => `sending to ${to}…`,
  unknownError: 'unknown error',
  unknownCommand: (typed, suggestion) =>
    `unknown command "${typed}".${suggestion === undefined ? '' : ` Did you mean "${suggestion}"?`} Type "help" for a list of commands.`,
  usage: (command, problem, usage) => `${command}: ${problem}. usage: ${usage}`,
  commandProblem: (command, problem) => `${command}: ${problem}`,
  problem: problemText,
  missingCommandName: 'missing command name after "/". Type "help" for a list of commands.',
  emptyCommand: 'empty command',
  helpUsage: (u) => `usage: ${u}`,
  helpAliases: (a) => `aliases: ${a}`,
  adminOnly: 'admin only',
  descriptions: {
    help: 'List all commands, or show help for one command.',
    reg: 'Create a new account (without a password, you are asked for it twice).',
    login: 'Log in to your account (without a password, you are asked for it).',
    logout: 'Log out.',
    status: 'Set your presence status.',
    add: 'Send a friend request to a user.',
    accept: 'Accept a friend request from a user.',
    decline: 'Decline a friend request from a user.',
    unfriend: 'Remove a user from your friends.',
    friends: 'List your friends.',
    send: 'Send a private message to a user.',
    newgroup: 'Create a group.',
    groups: 'List your groups with their numbers.',
    sendgroup: 'Send a message to a group.',
    addgroupuser: 'Invite a user to a group, by its name or number (they join when they accept).',
    delgroupuser: 'Remove a user from a group, by its name or number.',
    leavegroup: 'Leave a group, by its name or number.',
    delgroup: 'Delete a group you created, by its name or number.',
    acceptgroup: 'Accept an invitation to a group (listed by "groups"): you join it.',
    declinegroup: 'Decline an invitation to a group.',
    allusers: 'List all users, or only those online with --online.',
    allgroup: 'List all groups.',
    adminsend: 'Send a message to a user as the administrator.',
    adminsendgroup: 'Send a message to a group, named with its creator, as the administrator.',
    broadcast: 'Send a message to every user.',
    blockuser: 'Block a user.',
    unblockuser: 'Unblock a user.',
    blockgroup: 'Block a group, named with its creator.',
    unblockgroup: 'Unblock a group, named with its creator.',
  },
};

const STATUS_ZH: Record<string, string> = {
  online: '在线',
  offline: '离线',
  away: '离开',
  busy: '忙碌',
};
const statusZh = (s: string): string => STATUS_ZH[s] ?? s;

const ZH_GROUP_NUMBER: Record<Extract<UsageDetail, { kind: 'groupNumber' }>['rule'], string> = {
  atLeastOne: '须为 1 或更大的数',
  tooLarge: '太大了',
  negative: '须为正数',
  fraction: '须为整数',
  notANumber: '须为正整数（1、2、3……）',
};

/** The parser's problems in Chinese: every kind of `UsageDetail` (the switch is exhaustive). */
function zhProblem(d: UsageDetail): string {
  switch (d.kind) {
    case 'missing':
      return `缺少 ${d.placeholder}`;
    case 'empty':
      return `${d.placeholder} 不能为空`;
    case 'noArguments':
      return '不需要参数';
    case 'tooMany':
      return `参数太多（应为 ${d.expected} 个，实际 ${d.got} 个）；含空格的值请加引号`;
    case 'groupNumber':
      return `群组编号${ZH_GROUP_NUMBER[d.rule]}，收到的是 ${d.got}`;
    case 'oneCommandName':
      return '最多只能跟一个命令名';
    case 'status':
      return `应为 ${d.allowed.join('、')} 之一，收到的是 ${d.got}`;
    case 'unexpectedArgument':
      return `多余的参数 ${d.got}`;
    case 'unknownOption':
      return `未知选项 ${d.got}`;
    case 'optionTwice':
      return `${d.option} 重复了`;
    case 'unterminatedQuote':
      return (
        `第 ${d.column} 列的${d.quote === '"' ? '双' : '单'}引号（${d.quote}）没有闭合：` +
        `请补上 ${d.quote}，或改用${d.quote === '"' ? '单' : '双'}引号括住文字`
      );
    case 'tooLong':
      return `命令太长（最多 ${d.max} 个字符）`;
    case 'unparsable':
      return '无法解析这条命令';
  }
}

const zh: CoreText = {
  registered: (me) => `已注册并登录为 ${me}`,
  signedIn: (me) => `已登录为 ${me}`,
  signedOut: '已退出登录',
  passwordNeeded: (c) => `${c}：还需要密码：${c} <用户名> <密码>`,
  status: (s) => `状态：${statusZh(s)}`,
  nowFriends: (u) => `你和 ${u} 已成为好友`,
  requestSent: (u) => `已向 ${u} 发送好友请求`,
  declined: (u) => `已拒绝 ${u}`,
  unfriended: (u) => `${u} 已不再是你的好友`,
  noFriends: '还没有好友；用 add <用户名> 添加',
  friendLine: (u, s) => `${u}（${statusZh(s)}）`,
  requestsFrom: (users) => `好友请求：${users}（accept <用户名> 同意，decline <用户名> 拒绝）`,
  waitingFor: (users) => `等待对方同意：${users}`,
  createdGroup: (n, name) => `已创建群组 ${n}. ${name}`,
  deletedGroup: (name) => `已删除群组 ${name}`,
  invited: (u, g) => `已邀请 ${u} 加入 ${g}；对方同意后加入`,
  joined: (g) => `已加入 ${g}`,
  declinedInvitation: (g) => `已拒绝加入 ${g} 的邀请`,
  removedFromGroup: (u, g) => `已将 ${u} 移出 ${g}`,
  leftGroup: (g) => `已退出 ${g}`,
  leftGroupNewOwner: (g, owner) => `已退出 ${g}；现在由 ${owner} 担任群主`,
  leftGroupDeleted: (g) => `已退出 ${g}；你是最后一名成员，群组已随之删除`,
  noGroups: '还没有群组；用 newgroup <群组名> 创建',
  groupLine: (n, name, creator, online, total) =>
    `${n}. ${name}（创建者 ${creator}）${online}/${total} 在线`,
  blockedMark: ' [已封禁]',
  invitationsHeader: '群组邀请（acceptgroup <编号> 同意，declinegroup <编号> 拒绝）：',
  invitationLine: (n, name, creator, inviter) =>
    `${n}. ${name}（创建者 ${creator}），邀请人 ${inviter}`,
  noGroupNumber: (n) => `没有编号为 ${n} 的群组；输入 groups 查看你的群组`,
  noGroupNamed: (name) => `你没有名为“${name}”的群组；输入 groups 查看你的群组`,
  ambiguousGroup: (name, choices) => `你有多个名为“${name}”的群组：${choices}；请用编号指明`,
  noInvitation: (ref) =>
    `${typeof ref === 'number' ? `没有编号为 ${ref} 的群组邀请` : `没有加入“${ref}”的邀请`}；输入 groups 查看`,
  noUsers: '没有用户',
  userLine: (u, s, admin, blocked) =>
    `${u}（${statusZh(s)}）${admin ? ' [管理员]' : ''}${blocked ? ' [已封禁]' : ''}`,
  noAllGroups: '没有群组',
  systemSentUser: (u) => `已向 ${u} 发送系统消息`,
  systemSentGroup: (g, c) => `已向 ${g}（创建者 ${c}）发送系统消息`,
  broadcastSent: '广播已发送',
  userBlocked: (u, b) => `${u} ${b ? '已被封禁' : '已解除封禁'}`,
  groupBlocked: (g, c, b) => `${g}（创建者 ${c}）${b ? '已被封禁' : '已解除封禁'}`,
  fanout: (d, s, t) => `（共 ${t} 人：直接送达 ${d}，服务器暂存 ${s}）`,
  delivered: (to, f) => `已直接送达 ${to}${f}`,
  stored: (to, f) => `已暂存在服务器，${to} 登录后送达${f}`,
  failed: (to, why) => `未能发送给 ${to}：${why}`,
  errorText: (wire) => wireErrorText(wire, 'zh'),
  sending: (to) => `正在发送给 ${to}…`,
  unknownError: '未知错误',
  unknownCommand: (typed, suggestion) =>
    `未知命令“${typed}”。${suggestion === undefined ? '' : `你是不是想输入“${suggestion}”？`}输入 help 查看命令列表。`,
  usage: (command, problem, usage) => `${command}：${problem}。用法：${usage}`,
  commandProblem: (command, problem) => `${command}：${problem}`,
  problem: zhProblem,
  missingCommandName: '“/”后面缺少命令名。输入 help 查看命令列表。',
  emptyCommand: '空命令',
  helpUsage: (u) => `用法：${u}`,
  helpAliases: (a) => `别名：${a}`,
  adminOnly: '仅限管理员',
  descriptions: {
    help: '列出所有命令，或显示某个命令的帮助。',
    reg: '注册新账号（不带密码时会要求输入两次）。',
    login: '登录账号（不带密码时会要求输入）。',
    logout: '退出登录。',
    status: '设置在线状态。',
    add: '向用户发送好友请求。',
    accept: '同意用户的好友请求。',
    decline: '拒绝用户的好友请求。',
    unfriend: '删除好友。',
    friends: '列出好友及在线状态。',
    send: '给用户发私信。',
    newgroup: '创建群组。',
    groups: '列出你的群组及编号。',
    sendgroup: '在群组里发消息（用 groups 列出的编号）。',
    addgroupuser: '邀请用户加入群组，群组用名称或编号（对方同意后加入）。',
    delgroupuser: '将用户移出群组，群组用名称或编号。',
    leavegroup: '退出群组，群组用名称或编号。',
    delgroup: '删除你创建的群组，群组用名称或编号。',
    acceptgroup: '同意群组邀请（groups 中列出）并加入。',
    declinegroup: '拒绝群组邀请。',
    allusers: '列出所有用户；加 --online 只列在线用户。',
    allgroup: '列出所有群组。',
    adminsend: '以管理员身份给用户发系统消息。',
    adminsendgroup: '以管理员身份给群组（名称加创建者）发系统消息。',
    broadcast: '给所有用户发系统消息。',
    blockuser: '封禁用户。',
    unblockuser: '解除封禁用户。',
    blockgroup: '封禁群组（名称加创建者）。',
    unblockgroup: '解除封禁群组（名称加创建者）。',
  },
};

export const CORE_TEXT: Record<CoreLang, CoreText> = { en, zh };

/** `zh`, `zh-CN`, `zh_TW.UTF-8` -> zh; anything else -> en. */
export function coreLang(tag: string | undefined): CoreLang {
  return tag !== undefined && /^zh/i.test(tag.trim()) ? 'zh' : 'en';
}
