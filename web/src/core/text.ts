/**
 * The engine's own words (command results, list formats, delivery outcomes, the parser's
 * problems) in English and 简体中文: `CoreText` is the typed API the command lines and the
 * terminal client use, built here from the Paraglide messages (messages/*.json, keys `core_…`),
 * each called with its locale named (lang.ts), never through the runtime's global locale. The
 * words are in the JSON; which message fits the data (a flag, a plural, one of two shapes) is
 * decided here, once for every language.
 */
import type { IntentKind, UsageDetail } from '../../../shared/commands.ts';
import { m } from '../paraglide/messages.js';
import { wireErrorText, type ErrorLike } from './error-text.ts';
import { at, coreLang, type CoreLang, type PlainMessage as Message } from './lang.ts';

export { coreLang, type CoreLang };

/** A group message's spread: how many members it reached directly and how many via the server. */
export interface Fanout {
  delivered: number;
  stored: number;
  total: number;
}

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
  /** The spec's `[number] [group name] [creator] [online/total]`, marked when blocked. */
  groupLine: (
    n: number,
    name: string,
    creator: string,
    online: number,
    total: number,
    blocked: boolean,
  ) => string;
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
  delivered: (to: string, fanout?: Fanout) => string;
  stored: (to: string, fanout?: Fanout) => string;
  failed: (to: string, why: string) => string;
  /** An error (a failed message's `failure`, say) as a sentence in this language. */
  errorText: (wire: ErrorLike) => string;
  sending: (to: string) => string;
  unknownError: string;
  /** `command` as the parser shows it (escaped and cut short). */
  unknownCommand: (command: string, suggestion: string | undefined) => string;
  usage: (command: string, problem: string, usage: string) => string;
  /** A problem with a command named but no usage line to add (a quote left open). */
  commandProblem: (command: string, problem: string) => string;
  /** What was wrong with a command line (shared/commands.ts `UsageDetail`), in this language. */
  problem: (detail: UsageDetail) => string;
  /** Only a `/` (or nothing before the words): no command name. */
  missingCommandName: string;
  emptyCommand: string;
  helpUsage: (usage: string) => string;
  /**
   * A usage line (`add <username>`) with its placeholders in this language (`add <用户名>`): the
   * command words stay as typed, the words standing for what the user fills in are translated.
   */
  usageLine: (usage: string) => string;
  helpAliases: (aliases: string) => string;
  adminOnly: string;
  /** One line per command for `help`, in this language. */
  descriptions: Record<IntentKind, string>;
  /** A presence status (`online`, `away`, ...) as a word; one it does not know, as it is. */
  presence: (status: string) => string;
  /** Between the items of a list in a sentence: `, ` or `、`. */
  listSeparator: string;
}

const PRESENCE: Record<string, Message> = {
  online: m.core_presence_online,
  offline: m.core_presence_offline,
  away: m.core_presence_away,
  busy: m.core_presence_busy,
};

const GROUP_NUMBER: Record<
  Extract<UsageDetail, { kind: 'groupNumber' }>['rule'],
  (inputs: { got: string }, options: ReturnType<typeof at>) => string
> = {
  atLeastOne: m.core_problem_groupNumber_atLeastOne,
  tooLarge: m.core_problem_groupNumber_tooLarge,
  negative: m.core_problem_groupNumber_negative,
  fraction: m.core_problem_groupNumber_fraction,
  notANumber: m.core_problem_groupNumber_notANumber,
};

const DESCRIPTIONS: Record<IntentKind, Message> = {
  help: m.core_help_help,
  reg: m.core_help_reg,
  login: m.core_help_login,
  logout: m.core_help_logout,
  status: m.core_help_status,
  add: m.core_help_add,
  accept: m.core_help_accept,
  decline: m.core_help_decline,
  unfriend: m.core_help_unfriend,
  friends: m.core_help_friends,
  send: m.core_help_send,
  newgroup: m.core_help_newgroup,
  groups: m.core_help_groups,
  sendgroup: m.core_help_sendgroup,
  addgroupuser: m.core_help_addgroupuser,
  delgroupuser: m.core_help_delgroupuser,
  leavegroup: m.core_help_leavegroup,
  delgroup: m.core_help_delgroup,
  acceptgroup: m.core_help_acceptgroup,
  declinegroup: m.core_help_declinegroup,
  allusers: m.core_help_allusers,
  allgroup: m.core_help_allgroup,
  adminsend: m.core_help_adminsend,
  adminsendgroup: m.core_help_adminsendgroup,
  broadcast: m.core_help_broadcast,
  blockuser: m.core_help_blockuser,
  unblockuser: m.core_help_unblockuser,
  blockgroup: m.core_help_blockgroup,
  unblockgroup: m.core_help_unblockgroup,
};

/** Words and the marks after them, one space apart (`bob (online) [admin] [blocked]`). */
const marked = (words: string, ...marks: (string | false)[]) =>
  [words, ...marks.filter((mark): mark is string => mark !== false)].join(' ');

/** The usage lines' placeholders (shared/commands.ts), by their token. */
const PLACEHOLDERS: Record<string, typeof m.core_placeholder_username> = {
  username: m.core_placeholder_username,
  password: m.core_placeholder_password,
  'message...': m.core_placeholder_message,
  name: m.core_placeholder_name,
  group: m.core_placeholder_group,
  'group-number': m.core_placeholder_groupNumber,
  'group-name': m.core_placeholder_groupName,
  'invitation-number|group-name': m.core_placeholder_invitation,
  creator: m.core_placeholder_creator,
  command: m.core_placeholder_command,
};

function coreText(lang: CoreLang): CoreText {
  const o = at(lang);
  const presence = (s: string) => PRESENCE[s]?.({}, o) ?? s;
  const listSeparator = m.core_listSeparator({}, o);

  /** `<token>` and `[token]` with a known token in this language; others as written. */
  const usageLine = (usage: string): string =>
    usage.replace(/<([^<>]+)>|\[([^[\]]+)\]/g, (whole, angle?: string, square?: string) => {
      const token = angle ?? square ?? '';
      if (!Object.hasOwn(PLACEHOLDERS, token)) return whole;
      const word = PLACEHOLDERS[token]!({}, o);
      return angle !== undefined ? `<${word}>` : `[${word}]`;
    });

  /** The parser's problems: every kind of `UsageDetail` (the switch is exhaustive). */
  function problem(d: UsageDetail): string {
    switch (d.kind) {
      case 'missing':
        return m.core_problem_missing({ placeholder: usageLine(d.placeholder) }, o);
      case 'empty':
        return m.core_problem_empty({ placeholder: usageLine(d.placeholder) }, o);
      case 'noArguments':
        return m.core_problem_noArguments({}, o);
      case 'tooMany':
        return m.core_problem_tooMany({ expected: d.expected, got: d.got }, o);
      case 'groupNumber':
        return GROUP_NUMBER[d.rule]({ got: d.got }, o);
      case 'oneCommandName':
        return m.core_problem_oneCommandName({}, o);
      case 'status':
        return m.core_problem_status({ allowed: d.allowed.join(listSeparator), got: d.got }, o);
      case 'unexpectedArgument':
        return m.core_problem_unexpectedArgument({ got: d.got }, o);
      case 'unknownOption':
        return m.core_problem_unknownOption({ got: d.got }, o);
      case 'optionTwice':
        return m.core_problem_optionTwice({ option: d.option }, o);
      case 'unterminatedQuote':
        return d.quote === '"'
          ? m.core_problem_unterminatedDouble({ column: d.column }, o)
          : m.core_problem_unterminatedSingle({ column: d.column }, o);
      case 'tooLong':
        return m.core_problem_tooLong({ max: d.max }, o);
      case 'unparsable':
        return m.core_problem_unparsable({}, o);
    }
  }

  return {
    registered: (me) => m.core_registered({ me }, o),
    signedIn: (me) => m.core_signedIn({ me }, o),
    signedOut: m.core_signedOut({}, o),
    passwordNeeded: (command) => m.core_passwordNeeded({ command }, o),
    status: (s) => m.core_status({ status: presence(s) }, o),
    nowFriends: (username) => m.core_nowFriends({ username }, o),
    requestSent: (username) => m.core_requestSent({ username }, o),
    declined: (username) => m.core_declined({ username }, o),
    unfriended: (username) => m.core_unfriended({ username }, o),
    noFriends: m.core_noFriends({}, o),
    friendLine: (username, s) => m.core_userLine({ username, status: presence(s) }, o),
    requestsFrom: (users) => m.core_requestsFrom({ users }, o),
    waitingFor: (users) => m.core_waitingFor({ users }, o),
    createdGroup: (n, name) => m.core_createdGroup({ n, name }, o),
    deletedGroup: (name) => m.core_deletedGroup({ name }, o),
    invited: (username, group) => m.core_invited({ username, group }, o),
    joined: (group) => m.core_joined({ group }, o),
    declinedInvitation: (group) => m.core_declinedInvitation({ group }, o),
    removedFromGroup: (username, group) => m.core_removedFromGroup({ username, group }, o),
    leftGroup: (group) => m.core_leftGroup({ group }, o),
    leftGroupNewOwner: (group, owner) => m.core_leftGroupNewOwner({ group, owner }, o),
    leftGroupDeleted: (group) => m.core_leftGroupDeleted({ group }, o),
    noGroups: m.core_noGroups({}, o),
    groupLine: (n, name, creator, online, total, blocked) =>
      marked(
        m.core_groupLine({ n, name, creator, online, total }, o),
        blocked && m.core_blockedMark({}, o),
      ),
    invitationsHeader: m.core_invitationsHeader({}, o),
    invitationLine: (n, name, creator, inviter) =>
      m.core_invitationLine({ n, name, creator, inviter }, o),
    noGroupNumber: (n) => m.core_noGroupNumber({ n }, o),
    noGroupNamed: (name) => m.core_noGroupNamed({ name }, o),
    ambiguousGroup: (name, choices) => m.core_ambiguousGroup({ name, choices }, o),
    noInvitation: (ref) =>
      typeof ref === 'number'
        ? m.core_noInvitationNumber({ n: ref }, o)
        : m.core_noInvitationNamed({ name: ref }, o),
    noUsers: m.core_noUsers({}, o),
    userLine: (username, s, admin, blocked) =>
      marked(
        m.core_userLine({ username, status: presence(s) }, o),
        admin && m.core_adminMark({}, o),
        blocked && m.core_blockedMark({}, o),
      ),
    noAllGroups: m.core_noAllGroups({}, o),
    systemSentUser: (username) => m.core_systemSentUser({ username }, o),
    systemSentGroup: (group, creator) => m.core_systemSentGroup({ group, creator }, o),
    broadcastSent: m.core_broadcastSent({}, o),
    userBlocked: (username, blocked) =>
      blocked ? m.core_userBlocked({ username }, o) : m.core_userUnblocked({ username }, o),
    groupBlocked: (group, creator, blocked) =>
      blocked
        ? m.core_groupBlocked({ group, creator }, o)
        : m.core_groupUnblocked({ group, creator }, o),
    delivered: (to, f) =>
      f ? m.core_deliveredFanout({ to, ...f }, o) : m.core_delivered({ to }, o),
    stored: (to, f) => (f ? m.core_storedFanout({ to, ...f }, o) : m.core_stored({ to }, o)),
    failed: (to, why) => m.core_failed({ to, why }, o),
    errorText: (wire) => wireErrorText(wire, lang),
    sending: (to) => m.core_sending({ to }, o),
    unknownError: m.core_unknownError({}, o),
    unknownCommand: (command, suggestion) =>
      suggestion === undefined
        ? m.core_unknownCommand({ command }, o)
        : m.core_unknownCommandSuggest({ command, suggestion }, o),
    usage: (command, problem, usage) =>
      m.core_usage({ command, problem, usage: usageLine(usage) }, o),
    commandProblem: (command, problem) => m.core_commandProblem({ command, problem }, o),
    problem,
    missingCommandName: m.core_missingCommandName({}, o),
    emptyCommand: m.core_emptyCommand({}, o),
    helpUsage: (usage) => m.core_helpUsage({ usage: usageLine(usage) }, o),
    usageLine,
    helpAliases: (aliases) => m.core_helpAliases({ aliases }, o),
    adminOnly: m.core_adminOnly({}, o),
    descriptions: Object.fromEntries(
      Object.entries(DESCRIPTIONS).map(([kind, message]) => [kind, message({}, o)]),
    ) as Record<IntentKind, string>,
    presence,
    listSeparator,
  };
}

export const CORE_TEXT: Record<CoreLang, CoreText> = { en: coreText('en'), zh: coreText('zh') };
