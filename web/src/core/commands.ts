/**
 * The spec's command language on top of the engine: shared/commands.ts parses a line into an
 * intent, this maps each intent to engine calls and describes the result in readable lines.
 */
import { parseCommand, type Intent } from '../../../shared/commands.ts';
import type { GroupInfo, GroupInvitation } from '../../../shared/events.ts';
import { sameUsername } from '../../../shared/names.ts';
import {
  EngineError,
  type ChatEngine,
  type ChatMessage,
  type CommandOutcome,
  type ConversationId,
} from './api.ts';
import { describe, friendLines, groupLine, help, invitationLines } from './command-lines.ts';
import { groupConversation, privateConversation } from './ids.ts';

export interface CommandContext {
  engine: ChatEngine;
  /** The server's current group list: local numbers shift when groups come and go. */
  refreshGroups(): Promise<GroupInfo[]>;
  /** How long `send` waits to report delivered / stored before saying "sending". */
  settleMs: number;
}

const ok = (
  lines: string[],
  extra: { openConversation?: ConversationId } = {},
): CommandOutcome => ({
  ok: true,
  lines,
  ...extra,
});

export async function runCommand(ctx: CommandContext, line: string): Promise<CommandOutcome> {
  const parsed = parseCommand(line);
  if (!parsed.ok) {
    const { message, usage } = parsed.error;
    return usage === undefined ? { ok: false, message } : { ok: false, message, usage };
  }
  try {
    return await run(ctx, parsed.intent);
  } catch (err) {
    if (err instanceof EngineError) return { ok: false, message: err.wire.message };
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

async function groupByNumber(ctx: CommandContext, n: number): Promise<GroupInfo> {
  const group = (await ctx.refreshGroups()).find((g) => g.number === n);
  if (!group) {
    throw new EngineError({
      code: 'NOT_FOUND',
      message: `no group number ${n}; type "groups" to list yours`,
    });
  }
  return group;
}

/** An invitation of mine by its number in the `groups` listing, or by the group's name. */
function invitationFor(engine: ChatEngine, ref: number | string): GroupInvitation {
  const list = engine.social.invitations;
  const found =
    typeof ref === 'number'
      ? list[ref - 1]
      : list.find((i) => i.name.toLowerCase() === ref.toLowerCase());
  if (!found) {
    throw new EngineError({
      code: 'NOT_FOUND',
      message: `no invitation ${typeof ref === 'number' ? `number ${ref}` : `to "${ref}"`}; type "groups" to list yours`,
    });
  }
  return found;
}

async function run(ctx: CommandContext, intent: Intent): Promise<CommandOutcome> {
  const { engine } = ctx;
  switch (intent.kind) {
    case 'help':
      return ok(help(intent.command, engine.session.user?.isAdmin ?? false));
    case 'reg':
      await engine.register(intent.username, intent.password);
      return ok([
        `registered and signed in as ${engine.session.user?.username ?? intent.username}`,
      ]);
    case 'login':
      await engine.login(intent.username, intent.password);
      return ok([`signed in as ${engine.session.user?.username ?? intent.username}`]);
    case 'logout':
      await engine.logout();
      return ok(['signed out']);
    case 'status':
      await engine.setStatus(intent.status);
      return ok([`status: ${intent.status}`]);
    case 'add': {
      await engine.addFriend(intent.username);
      // The server's spelling may differ from the typed one (`add Bob`, user `bob`).
      const friend = engine.social.friends.find((f) => sameUsername(f.username, intent.username));
      return ok([
        friend
          ? `you and ${friend.username} are now friends`
          : `friend request sent to ${intent.username}`,
      ]);
    }
    case 'accept':
    case 'decline':
      await engine.respondFriend(intent.username, intent.kind === 'accept');
      return ok([
        intent.kind === 'accept'
          ? `you and ${intent.username} are now friends`
          : `declined ${intent.username}`,
      ]);
    case 'unfriend':
      await engine.removeFriend(intent.username);
      return ok([`${intent.username} is no longer your friend`]);
    case 'friends':
      return ok(friendLines(engine.social));
    case 'newgroup': {
      const g = await engine.createGroup(intent.name);
      return ok([`created group ${g.number}. ${g.name}`], {
        openConversation: groupConversation(g.id),
      });
    }
    case 'delgroup': {
      const g = await groupByNumber(ctx, intent.group);
      await engine.deleteGroup(g.id);
      return ok([`deleted group ${g.name}`]);
    }
    case 'addgroupuser': {
      const g = await groupByNumber(ctx, intent.group);
      await engine.inviteToGroup(g.id, intent.username);
      return ok([`invited ${intent.username} to ${g.name}; they join when they accept`]);
    }
    case 'acceptgroup':
    case 'declinegroup': {
      const inv = invitationFor(engine, intent.invitation);
      const accept = intent.kind === 'acceptgroup';
      await engine.respondGroupInvite(inv.groupId, accept);
      return accept
        ? ok([`joined ${inv.name}`], { openConversation: groupConversation(inv.groupId) })
        : ok([`declined the invitation to ${inv.name}`]);
    }
    case 'delgroupuser': {
      const g = await groupByNumber(ctx, intent.group);
      await engine.kickFromGroup(g.id, intent.username);
      return ok([`removed ${intent.username} from ${g.name}`]);
    }
    case 'leavegroup': {
      const g = await groupByNumber(ctx, intent.group);
      await engine.leaveGroup(g.id);
      return ok([`left ${g.name}`]);
    }
    case 'groups': {
      const groups = await ctx.refreshGroups();
      return ok([
        ...(groups.length === 0
          ? ['no groups yet; create one with: newgroup <name>']
          : groups.map((g) => groupLine(g, g.number))),
        ...invitationLines(engine.social.invitations),
      ]);
    }
    case 'send': {
      const m = await engine.sendPrivate(intent.username, intent.text);
      const final = await settled(ctx, m);
      return ok([describe(final, intent.username)], {
        openConversation: privateConversation(final.conversation.slice(2)),
      });
    }
    case 'sendgroup': {
      const g = await groupByNumber(ctx, intent.group);
      const final = await settled(ctx, await engine.sendGroup(g.id, intent.text));
      return ok([describe(final, g.name)], { openConversation: groupConversation(g.id) });
    }
    case 'allusers': {
      const users = await engine.admin.users(intent.onlineOnly);
      return ok(
        users.length === 0
          ? ['no users']
          : users.map(
              (u) =>
                `${u.username} (${u.status})${u.isAdmin ? ' [admin]' : ''}${u.blocked ? ' [blocked]' : ''}`,
            ),
      );
    }
    case 'allgroup': {
      const groups = await engine.admin.groups();
      return ok(groups.length === 0 ? ['no groups'] : groups.map((g, i) => groupLine(g, i + 1)));
    }
    case 'adminsend':
      await engine.admin.sendUser(intent.username, intent.text);
      return ok([`system message sent to ${intent.username}`]);
    case 'adminsendgroup':
      await engine.admin.sendGroup(intent.group, intent.creator, intent.text);
      return ok([`system message sent to ${intent.group} (creator ${intent.creator})`]);
    case 'broadcast':
      await engine.admin.broadcast(intent.text);
      return ok(['broadcast sent']);
    case 'blockuser':
    case 'unblockuser':
      await engine.admin.setUserBlocked(intent.username, intent.kind === 'blockuser');
      return ok([`${intent.username} is ${intent.kind === 'blockuser' ? 'blocked' : 'unblocked'}`]);
    case 'blockgroup':
    case 'unblockgroup':
      await engine.admin.setGroupBlocked(
        { group: intent.group, creator: intent.creator },
        intent.kind === 'blockgroup',
      );
      return ok([
        `${intent.group} (creator ${intent.creator}) is ${intent.kind === 'blockgroup' ? 'blocked' : 'unblocked'}`,
      ]);
  }
}

/** Waits (briefly) for a sent message to leave 'sending', so the command can say what happened. */
function settled(ctx: CommandContext, message: ChatMessage): Promise<ChatMessage> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      off();
      resolve(message);
    }, ctx.settleMs);
    const off = ctx.engine.on((event) => {
      if (event.type !== 'message' || event.message.id !== message.id) return;
      if (!sameUsername(event.message.from, message.from) || event.message.state === 'sending')
        return;
      clearTimeout(timer);
      off();
      resolve(event.message);
    });
  });
}
