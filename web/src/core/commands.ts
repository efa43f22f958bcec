/**
 * The spec's command language on top of the engine: shared/commands.ts parses a line into an
 * intent, this maps each intent to engine calls and describes the result in readable lines.
 */
import {
  parseCommand,
  type CommandError,
  type GroupRef,
  type Intent,
} from '../../../shared/commands.ts';
import type { GroupInfo, GroupInvitation } from '../../../shared/events.ts';
import { groupNameKey, sameUsername } from '../../../shared/names.ts';
import {
  EngineError,
  type ChatEngine,
  type ChatMessage,
  type CommandOptions,
  type CommandOutcome,
  type ConversationId,
} from './api.ts';
import { describe, friendLines, groupLine, help, invitationLines } from './command-lines.ts';
import { groupConversation, privateConversation } from './ids.ts';
import { CORE_TEXT, type CoreText } from './text.ts';

export interface CommandContext {
  engine: ChatEngine;
  /** The server's current group list: local numbers shift when groups come and go. */
  refreshGroups(): Promise<GroupInfo[]>;
  /** How long `send` waits to report delivered / stored before saying "sending". */
  settleMs: number;
}

interface Run extends CommandContext {
  t: CoreText;
  chooseGroup: CommandOptions['chooseGroup'];
}

const ok = (
  lines: string[],
  extra: { openConversation?: ConversationId } = {},
): CommandOutcome => ({
  ok: true,
  lines,
  ...extra,
});

/** A command's own failure, already worded in the caller's language (`ctx.t`). */
class WordedError extends EngineError {}

export async function runCommand(
  context: CommandContext,
  line: string,
  options: CommandOptions = {},
): Promise<CommandOutcome> {
  const t = CORE_TEXT[options.lang ?? 'en'];
  const ctx: Run = { ...context, t, chooseGroup: options.chooseGroup };
  const parsed = parseCommand(line);
  if (!parsed.ok) {
    const { usage } = parsed.error;
    const message = parseErrorText(parsed.error, t);
    return usage === undefined
      ? { ok: false, message }
      : { ok: false, message, usage: t.usageLine(usage) };
  }
  try {
    return await run(ctx, parsed.intent);
  } catch (err) {
    if (err instanceof WordedError) return { ok: false, message: err.message };
    // The server's (or the engine's) error, worded from its code and details in the caller's
    // language: its `message` is English, for logs and English front ends.
    if (err instanceof EngineError) return { ok: false, message: t.errorText(err.wire) };
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * The parser's error in the caller's language, from its code and details (the parser holds no
 * words of its own).
 */
export function parseErrorText(e: CommandError, t: CoreText): string {
  if (e.code === 'EMPTY') return t.emptyCommand;
  if (e.code === 'UNKNOWN_COMMAND') {
    if (!e.command) return t.missingCommandName;
    const unknown = t.unknownCommand(e.command, e.suggestion);
    return e.within ? t.commandProblem(e.within, unknown) : unknown;
  }
  if (!e.detail) return t.problem({ kind: 'unparsable' });
  const problem = t.problem(e.detail);
  if (!e.command) return problem;
  // With its usage line, except for a quote left open: that is about the line, not the arguments.
  return e.usage && e.detail.kind !== 'unterminatedQuote'
    ? t.usage(e.command, problem, e.usage)
    : t.commandProblem(e.command, problem);
}

async function groupByNumber(ctx: Run, n: number): Promise<GroupInfo> {
  const group = (await ctx.refreshGroups()).find((g) => g.number === n);
  if (!group) throw new WordedError({ code: 'NOT_FOUND', message: ctx.t.noGroupNumber(n) });
  return group;
}

/**
 * The spec's groups by name: a name I own or belong to (the server's list of my groups), folded
 * the way the server compares group names. Two of mine sharing a name: the front end asks which
 * (`chooseGroup`), or the command fails naming the numbers to use instead.
 */
async function groupFor(ctx: Run, ref: GroupRef): Promise<GroupInfo> {
  if ('number' in ref) return groupByNumber(ctx, ref.number);
  const key = groupNameKey(ref.name);
  const matches = (await ctx.refreshGroups()).filter((g) => groupNameKey(g.name) === key);
  const [only] = matches;
  if (only === undefined) {
    throw new WordedError({ code: 'NOT_FOUND', message: ctx.t.noGroupNamed(ref.name) });
  }
  if (matches.length === 1) return only;
  const chosen = await ctx.chooseGroup?.(ref.name, matches);
  // Only one of the offered groups counts as an answer, whatever the front end returns.
  if (chosen !== undefined && matches.some((g) => g.id === chosen.id)) return chosen;
  throw new WordedError({
    code: 'BAD_REQUEST',
    message: ctx.t.ambiguousGroup(
      ref.name,
      matches.map((g) => groupLine(g, g.number, ctx.t)).join('; '),
    ),
  });
}

/** An invitation of mine by its number in the `groups` listing, or by the group's name. */
function invitationFor(engine: ChatEngine, ref: number | string, t: CoreText): GroupInvitation {
  const list = engine.social.invitations;
  const found =
    typeof ref === 'number'
      ? list[ref - 1]
      : list.find((i) => i.name.toLowerCase() === ref.toLowerCase());
  if (!found) {
    throw new WordedError({
      code: 'NOT_FOUND',
      message: t.noInvitation(ref),
    });
  }
  return found;
}

async function run(ctx: Run, intent: Intent): Promise<CommandOutcome> {
  const { engine, t } = ctx;
  switch (intent.kind) {
    case 'help':
      return ok(help(intent.command, engine.session.user?.isAdmin ?? false, t));
    case 'reg':
    case 'login': {
      // The spec's `reg <username>`: a front end that can ask for a password (the terminal)
      // does so before it gets here; the web composer has no hidden prompt, so it says so.
      if (intent.password === undefined)
        return { ok: false, message: t.passwordNeeded(intent.kind) };
      if (intent.kind === 'reg') await engine.register(intent.username, intent.password);
      else await engine.login(intent.username, intent.password);
      const me = engine.session.user?.username ?? intent.username;
      return ok([intent.kind === 'reg' ? t.registered(me) : t.signedIn(me)]);
    }
    case 'logout':
      await engine.logout();
      return ok([t.signedOut]);
    case 'status':
      await engine.setStatus(intent.status);
      return ok([t.status(intent.status)]);
    case 'add': {
      await engine.addFriend(intent.username);
      // The server's spelling may differ from the typed one (`add Bob`, user `bob`).
      const friend = engine.social.friends.find((f) => sameUsername(f.username, intent.username));
      return ok([friend ? t.nowFriends(friend.username) : t.requestSent(intent.username)]);
    }
    case 'accept':
    case 'decline':
      await engine.respondFriend(intent.username, intent.kind === 'accept');
      return ok([
        intent.kind === 'accept' ? t.nowFriends(intent.username) : t.declined(intent.username),
      ]);
    case 'unfriend':
      await engine.removeFriend(intent.username);
      return ok([t.unfriended(intent.username)]);
    case 'friends':
      return ok(friendLines(engine.social, t));
    case 'newgroup': {
      const g = await engine.createGroup(intent.name);
      return ok([t.createdGroup(g.number, g.name)], {
        openConversation: groupConversation(g.id),
      });
    }
    case 'delgroup': {
      const g = await groupFor(ctx, intent.group);
      await engine.deleteGroup(g.id);
      return ok([t.deletedGroup(g.name)]);
    }
    case 'addgroupuser': {
      const g = await groupFor(ctx, intent.group);
      await engine.inviteToGroup(g.id, intent.username);
      return ok([t.invited(intent.username, g.name)]);
    }
    case 'acceptgroup':
    case 'declinegroup': {
      const inv = invitationFor(engine, intent.invitation, t);
      const accept = intent.kind === 'acceptgroup';
      await engine.respondGroupInvite(inv.groupId, accept);
      return accept
        ? ok([t.joined(inv.name)], { openConversation: groupConversation(inv.groupId) })
        : ok([t.declinedInvitation(inv.name)]);
    }
    case 'delgroupuser': {
      const g = await groupFor(ctx, intent.group);
      await engine.kickFromGroup(g.id, intent.username);
      return ok([t.removedFromGroup(intent.username, g.name)]);
    }
    case 'leavegroup': {
      const g = await groupFor(ctx, intent.group);
      const left = await engine.leaveGroup(g.id);
      if (left.deleted) return ok([t.leftGroupDeleted(g.name)]);
      return ok([left.newOwner ? t.leftGroupNewOwner(g.name, left.newOwner) : t.leftGroup(g.name)]);
    }
    case 'groups': {
      const groups = await ctx.refreshGroups();
      return ok([
        ...(groups.length === 0 ? [t.noGroups] : groups.map((g) => groupLine(g, g.number, t))),
        ...invitationLines(engine.social.invitations, t),
      ]);
    }
    case 'send': {
      const final = await sendSettled(ctx, () => engine.sendPrivate(intent.username, intent.text));
      return ok([describe(final, intent.username, t)], {
        openConversation: privateConversation(final.conversation.slice(2)),
      });
    }
    case 'sendgroup': {
      const g = await groupByNumber(ctx, intent.group);
      const final = await sendSettled(ctx, () => engine.sendGroup(g.id, intent.text));
      return ok([describe(final, g.name, t)], { openConversation: groupConversation(g.id) });
    }
    case 'allusers': {
      const users = await engine.admin.users(intent.onlineOnly);
      return ok(
        users.length === 0
          ? [t.noUsers]
          : users.map((u) => t.userLine(u.username, u.status, u.isAdmin, u.blocked)),
      );
    }
    case 'allgroup': {
      const groups = await engine.admin.groups();
      return ok(
        groups.length === 0 ? [t.noAllGroups] : groups.map((g, i) => groupLine(g, i + 1, t)),
      );
    }
    case 'adminsend':
      await engine.admin.sendUser(intent.username, intent.text);
      return ok([t.systemSentUser(intent.username)]);
    case 'adminsendgroup':
      await engine.admin.sendGroup(intent.group, intent.creator, intent.text);
      return ok([t.systemSentGroup(intent.group, intent.creator)]);
    case 'broadcast':
      await engine.admin.broadcast(intent.text);
      return ok([t.broadcastSent]);
    case 'blockuser':
    case 'unblockuser':
      await engine.admin.setUserBlocked(intent.username, intent.kind === 'blockuser');
      return ok([t.userBlocked(intent.username, intent.kind === 'blockuser')]);
    case 'blockgroup':
    case 'unblockgroup':
      await engine.admin.setGroupBlocked(
        { group: intent.group, creator: intent.creator },
        intent.kind === 'blockgroup',
      );
      return ok([t.groupBlocked(intent.group, intent.creator, intent.kind === 'blockgroup')]);
  }
}

/**
 * Sends, then waits (briefly) for the message to leave 'sending', so the command can say what
 * happened. It listens from before the send: the outcome can be announced before the send
 * resolves (an ack that beats the commit of the message's own row is announced right behind the
 * row's 'sending' event, in the same turn), and a listener added once the send had resolved
 * waited out the whole settle time for an event already gone, then said "sending" for a message
 * that had been delivered.
 */
async function sendSettled(
  ctx: CommandContext,
  send: () => Promise<ChatMessage>,
): Promise<ChatMessage> {
  /** Outcomes announced while the send was under way, by id (mine and any other of mine). */
  const early = new Map<string, ChatMessage>();
  let sent: ChatMessage | null = null;
  let settle: (m: ChatMessage) => void = () => undefined;
  const outcome = new Promise<ChatMessage>((resolve) => (settle = resolve));
  const off = ctx.engine.on((event) => {
    if (event.type !== 'message') return;
    const m = event.message;
    // Received messages have no state; mine are 'sending' until their outcome.
    if (m.state === undefined || m.state === 'sending') return;
    if (sent === null) early.set(m.id, m);
    else if (m.id === sent.id && sameUsername(m.from, sent.from)) settle(m);
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const message = await send();
    sent = message;
    const known = early.get(message.id);
    early.clear();
    if (known !== undefined && sameUsername(known.from, message.from)) return known;
    return await Promise.race([
      outcome,
      new Promise<ChatMessage>((resolve) => {
        timer = setTimeout(() => resolve(message), ctx.settleMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    off();
  }
}
