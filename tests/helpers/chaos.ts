/**
 * The chaos scenario: real engines in Node (real WebRTC over @roamhq/wrtc, their own fake
 * IndexedDB) chatting privately and in a group through real server processes, while the network
 * drops their sockets, their tabs reload, and a server is killed with SIGKILL and started again.
 * Afterwards every message is looked for in every history it should reach, and the figures say how
 * many were lost, shown twice, or shown out of order.
 *
 * Used by the bounded test in `npm test` (tests/integration/chaos.test.ts) and by the longer soak in
 * `npm run bench -- soak` (bench/suites/soak.ts), which adds a second node.
 */
import type { ChatEngine, ChatMessage, ConversationId } from '../../web/src/core/api.ts';
import { browser, joinGroup, startEngine, type TestBrowser } from './engine.ts';
import { startMain, type RunningServer } from './process.ts';
import { eventually, sleep } from './server.ts';
import { tcpProxy, type TcpProxy } from './tcp-proxy.ts';

export interface ChaosOptions {
  /** One environment per node (DATABASE_URL, REDIS_URL...); users are spread over the nodes. */
  nodes: Record<string, string>[];
  users: number;
  messages: number;
  /** Of the messages, how many go to the group rather than to a friend. */
  groupShare: number;
  /** Mean pause between two sends, ms. */
  pauseMs: number;
  /** How many of each fault, spread evenly over the run. */
  socketDrops: number;
  reloads: number;
  serverKills: number;
  /** How long everything may take to settle once the traffic stops. */
  settleMs: number;
  /** A deterministic run for a given seed. */
  seed: number;
  log?: (line: string) => void;
}

export interface ChaosResult {
  sent: number;
  /** (message, recipient) pairs expected. */
  expected: number;
  lost: number;
  /** Sends the engine refused outright (an error for the user rather than a silent loss). */
  refused: string[];
  /** Messages that appear more than once in one history. */
  duplicates: number;
  /** Pairs of one sender's messages that a recipient's history shows in the other order. */
  outOfOrder: number;
  faults: { socketDrops: number; reloads: number; serverKills: number };
  /** From the end of traffic until every message had arrived (or settleMs ran out). */
  settleMs: number;
  durationMs: number;
}

interface Person {
  name: string;
  profile: TestBrowser;
  proxy: TcpProxy;
  node: number;
  engine: ChatEngine | null;
}

interface Expectation {
  id: string;
  from: string;
  /** Where each recipient keeps it. */
  to: { name: string; conversation: ConversationId }[];
  seq: number;
}

/** mulberry32: small, seedable, good enough to pick faults and recipients. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PASSWORD = 'correct horse battery';
const portOf = (server: RunningServer) => Number(new URL(server.url).port);

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const started = Date.now();
  const rand = random(options.seed);
  const pick = <T>(list: T[]): T => list[Math.floor(rand() * list.length)]!;
  const log = options.log ?? (() => {});
  const tag = `c${options.seed.toString(36)}${Date.now().toString(36).slice(-4)}`;

  const servers: RunningServer[] = [];
  for (const env of options.nodes) servers.push(await startMain(env));
  const people: Person[] = [];
  try {
    for (let i = 0; i < options.users; i++) {
      const node = i % servers.length;
      people.push({
        name: `${tag}_${i}`,
        profile: browser(),
        proxy: await tcpProxy(portOf(servers[node]!)),
        node,
        engine: null,
      });
    }
    const open = (p: Person) => startEngine(p.proxy.url, p.profile, { directTimeoutMs: 3_000 });
    const ready = (p: Person) =>
      eventually(() => p.engine?.session.phase === 'ready', 20_000, `${p.name} ready`);
    for (const p of people) {
      p.engine = open(p);
      await p.engine.register(p.name, PASSWORD);
      await ready(p);
    }

    // Friends in a ring; a group of the first half, owned by the first.
    const friendsOf = new Map<string, string[]>(people.map((p) => [p.name, []]));
    for (let i = 0; i < people.length; i++) {
      const a = people[i]!;
      const b = people[(i + 1) % people.length]!;
      if (a === b || friendsOf.get(a.name)!.includes(b.name)) continue;
      await a.engine!.addFriend(b.name);
      await eventually(() => b.engine!.social.incoming.includes(a.name), 10_000, 'request');
      await b.engine!.respondFriend(a.name, true);
      friendsOf.get(a.name)!.push(b.name);
      friendsOf.get(b.name)!.push(a.name);
    }
    const members = people.slice(0, Math.max(2, Math.ceil(people.length / 2)));
    const owner = members[0]!;
    const group = await owner.engine!.createGroup(`${tag}_g`);
    for (const m of members.slice(1)) await joinGroup(owner.engine!, m.engine!, group.id);
    const groupConversation: ConversationId = `g:${group.id}`;
    log(`set up ${people.length} users on ${servers.length} node(s), group of ${members.length}`);

    // Faults at evenly spaced message numbers, in a seeded order.
    const faults: ('drop' | 'reload' | 'kill')[] = [
      ...Array<'drop'>(options.socketDrops).fill('drop'),
      ...Array<'reload'>(options.reloads).fill('reload'),
      ...Array<'kill'>(options.serverKills).fill('kill'),
    ].sort(() => rand() - 0.5);
    const faultAt = new Map<number, (typeof faults)[number]>();
    faults.forEach((f, i) =>
      faultAt.set(Math.floor(((i + 1) * options.messages) / (faults.length + 1)), f),
    );
    const done = { socketDrops: 0, reloads: 0, serverKills: 0 };
    const reloading = new Set<Person>();
    const background: Promise<void>[] = [];

    const reload = async (p: Person) => {
      reloading.add(p);
      const engine = p.engine!;
      p.engine = null;
      await engine.destroy();
      await sleep(200 + rand() * 800);
      p.engine = open(p);
      if (!(await p.engine.resume())) throw new Error(`${p.name}: resume after reload failed`);
      await ready(p);
      reloading.delete(p);
    };
    const kill = async () => {
      const node = Math.floor(rand() * servers.length);
      const victim = servers[node]!;
      await victim.stop('SIGKILL');
      const survivor = servers.find((s, i) => i !== node);
      // Its users' next connection goes to a survivor if there is one, as behind a load balancer.
      if (survivor)
        for (const p of people.filter((q) => q.node === node)) p.proxy.retarget(portOf(survivor));
      await sleep(300);
      const restarted = await startMain(options.nodes[node]!);
      servers[node] = restarted;
      for (const p of people.filter((q) => q.node === node)) p.proxy.retarget(portOf(restarted));
    };

    const expectations: Expectation[] = [];
    const refused: string[] = [];
    const seqOf = new Map<string, number>();
    const trafficStart = Date.now();
    for (let n = 0; n < options.messages; n++) {
      const fault = faultAt.get(n);
      if (fault === 'drop') {
        const p = pick(people);
        log(`#${n}: network drop for ${p.name}`);
        p.proxy.drop();
        done.socketDrops++;
      } else if (fault === 'reload') {
        const p = pick(people.filter((q) => !reloading.has(q)));
        log(`#${n}: reload of ${p.name}`);
        background.push(reload(p));
        done.reloads++;
      } else if (fault === 'kill') {
        log(`#${n}: SIGKILL of a server`);
        background.push(kill());
        done.serverKills++;
      }

      const senders = people.filter((p) => p.engine !== null && !reloading.has(p));
      const sender = pick(senders);
      const seq = (seqOf.get(sender.name) ?? 0) + 1;
      seqOf.set(sender.name, seq);
      const inGroup = members.includes(sender);
      const toGroup = inGroup && rand() < options.groupShare;
      if (toGroup) {
        const text = `${sender.name} to the group, #${seq}`;
        const message = await sender.engine!.sendGroup(group.id, text).catch((err: unknown) => {
          refused.push(`${text}: ${(err as Error).message}`);
          return null;
        });
        if (!message) continue;
        expectations.push({
          id: message.id,
          from: sender.name,
          seq,
          to: members
            .filter((m) => m !== sender)
            .map((m) => ({ name: m.name, conversation: groupConversation })),
        });
      } else {
        const to = pick(friendsOf.get(sender.name)!);
        const text = `${sender.name} to ${to}, #${seq}`;
        const message = await sender.engine!.sendPrivate(to, text).catch((err: unknown) => {
          refused.push(`${text}: ${(err as Error).message}`);
          return null;
        });
        if (!message) continue;
        expectations.push({
          id: message.id,
          from: sender.name,
          seq,
          to: [{ name: to, conversation: `u:${sender.name}` }],
        });
      }
      await sleep(2 + rand() * options.pauseMs * 2);
    }
    await Promise.all(background);
    log(`traffic done: ${options.messages} messages in ${Date.now() - trafficStart} ms`);

    // Settle: every recipient online, every message where it belongs.
    const settleStart = Date.now();
    const missing = async () => {
      let count = 0;
      const seen = new Map<string, Set<string>>();
      for (const p of people) {
        const ids = new Set<string>();
        for (const c of await p.engine!.conversations())
          for (const m of await wholeHistory(p.engine!, c.id)) ids.add(m.id);
        seen.set(p.name, ids);
      }
      for (const e of expectations) for (const r of e.to) if (!seen.get(r.name)!.has(e.id)) count++;
      return count;
    };
    let lost = 0;
    try {
      await eventually(async () => (lost = await missing()) === 0, options.settleMs, 'settle');
    } catch {
      // `lost` holds what never arrived; the figures report it.
    }
    const settleMs = Date.now() - settleStart;
    if (lost > 0) {
      // Who is missing what, and the state each recipient's engine is in: where to look first.
      const seen = new Map<string, Set<string>>();
      for (const p of people) {
        const ids = new Set<string>();
        for (const c of await p.engine!.conversations())
          for (const m of await wholeHistory(p.engine!, c.id)) ids.add(m.id);
        seen.set(p.name, ids);
      }
      const missing = new Map<string, number>();
      for (const e of expectations)
        for (const r of e.to)
          if (!seen.get(r.name)!.has(e.id)) {
            const k = `${e.from} -> ${r.name} (${r.conversation.startsWith('g:') ? 'group' : 'private'})`;
            missing.set(k, (missing.get(k) ?? 0) + 1);
          }
      for (const [k, n] of missing) log(`missing ${n}: ${k}`);
      // And where the sender's copy of each missing message stands (sending, stored, failed...).
      const states = new Map<string, number>();
      const byName = new Map(people.map((p) => [p.name, p]));
      for (const e of expectations) {
        if (e.to.every((r) => seen.get(r.name)!.has(e.id))) continue;
        const sender = byName.get(e.from)!;
        const conversation = e.to[0]!.conversation.startsWith('g:')
          ? e.to[0]!.conversation
          : (`u:${e.to[0]!.name}` as ConversationId);
        const own = (await wholeHistory(sender.engine!, conversation)).find((m) => m.id === e.id);
        const k = own ? `${own.state}${own.error ? ` (${own.error})` : ''}` : 'not in history';
        states.set(k, (states.get(k) ?? 0) + 1);
      }
      for (const [k, n] of states) log(`sender's state of ${n} missing: ${k}`);
      for (const p of people) log(`${p.name}: ${p.engine!.session.phase}`);
    }

    let duplicates = 0;
    let outOfOrder = 0;
    const seqById = new Map(expectations.map((e) => [e.id, e]));
    for (const p of people) {
      for (const c of await p.engine!.conversations()) {
        const history = await wholeHistory(p.engine!, c.id, (n) => (duplicates += n));
        const last = new Map<string, number>();
        for (const m of history) {
          const e = seqById.get(m.id);
          if (!e) continue;
          if ((last.get(e.from) ?? 0) > e.seq) outOfOrder++;
          last.set(e.from, Math.max(last.get(e.from) ?? 0, e.seq));
        }
      }
    }
    return {
      sent: expectations.length,
      expected: expectations.reduce((n, e) => n + e.to.length, 0),
      lost,
      refused,
      duplicates,
      outOfOrder,
      faults: done,
      settleMs,
      durationMs: Date.now() - started,
    };
  } finally {
    await Promise.all(people.map((p) => p.engine?.destroy()));
    await Promise.all(people.map((p) => p.proxy.close()));
    await Promise.all(servers.map((s) => s.stop('SIGTERM')));
  }
}

/**
 * A conversation's whole history, oldest first: `history()` answers at most a page (500), newest
 * last, so this pages back by `sentAt`. Pages overlap by the boundary millisecond (two messages
 * may share it) and are merged by id; `duplicates` hears of any id shown twice within one page.
 */
async function wholeHistory(
  engine: ChatEngine,
  conversation: ConversationId,
  duplicates: (n: number) => void = () => {},
): Promise<ChatMessage[]> {
  const byId = new Map<string, ChatMessage>();
  const pages: ChatMessage[][] = [];
  let before: number | undefined;
  for (;;) {
    const page = await engine.history(conversation, { limit: 500, before });
    const ids = page.map((m) => m.id);
    duplicates(ids.length - new Set(ids).size);
    const fresh = page.filter((m) => !byId.has(m.id));
    for (const m of fresh) byId.set(m.id, m);
    pages.unshift(fresh);
    if (page.length < 500 || fresh.length === 0) break;
    before = page[0]!.sentAt + 1;
  }
  return pages.flat();
}
