/**
 * The admin view's data: users, groups and the admin log, fetched on demand (the server pushes no
 * admin events), and refreshed after an action so the tables show what the server now holds. A
 * group's block is the exception: its ack is the server's word on the one field it changes, so the
 * row is updated from it and nothing is fetched again (the log shows it at the next refresh).
 */
import { SvelteSet } from 'svelte/reactivity';
import type { ChatEngine } from '../core/api.ts';
import type { AdminAction, AdminGroup, AdminUser } from '../../../shared/events.ts';
import { errorText } from './format.ts';

export type AdminTarget = 'user' | 'group' | 'broadcast';

export class AdminState {
  users = $state.raw<AdminUser[]>([]);
  groups = $state.raw<AdminGroup[]>([]);
  log = $state.raw<AdminAction[]>([]);
  onlineOnly = $state(false);
  loading = $state(false);
  error = $state<string | null>(null);
  /**
   * Whether `error` came from an action rather than a listing: the refresh that follows a failed
   * action must not wipe the reason it failed before anyone could read it.
   */
  #errorFromAction = false;
  /** Row keys with an action in flight, so their buttons can show it. */
  readonly busy = new SvelteSet<string>();

  readonly onlineCount = $derived(this.users.filter((u) => u.status !== 'offline').length);

  constructor(private readonly engine: ChatEngine) {}

  async refresh(): Promise<void> {
    this.loading = true;
    try {
      const [users, groups, log] = await Promise.all([
        this.engine.admin.users(this.onlineOnly),
        this.engine.admin.groups(),
        this.engine.admin.log(),
      ]);
      this.users = users;
      this.groups = groups;
      this.log = log;
      if (!this.#errorFromAction) this.error = null;
    } catch (e) {
      this.error = errorText(e);
      this.#errorFromAction = false;
    } finally {
      this.loading = false;
    }
  }

  async setOnlineOnly(value: boolean): Promise<void> {
    this.onlineOnly = value;
    await this.refresh();
  }

  setUserBlocked(username: string, blocked: boolean): Promise<void> {
    return this.#act(`user:${username}`, () => this.engine.admin.setUserBlocked(username, blocked));
  }

  /** One request, naming the group by the id the listing gave. */
  setGroupBlocked(group: AdminGroup, blocked: boolean): Promise<void> {
    return this.#act(
      `group:${group.id}`,
      async () => {
        await this.engine.admin.setGroupBlocked({ groupId: group.id }, blocked);
        this.groups = this.groups.map((g) => (g.id === group.id ? { ...g, blocked } : g));
      },
      { refresh: false },
    );
  }

  /** Sends a system message; resolves to an error text, or null when it went out. */
  async send(
    target: AdminTarget,
    text: string,
    to: { username?: string; group?: string; creator?: string },
  ): Promise<string | null> {
    try {
      if (target === 'user') await this.engine.admin.sendUser(to.username ?? '', text);
      else if (target === 'group')
        await this.engine.admin.sendGroup(to.group ?? '', to.creator ?? '', text);
      else await this.engine.admin.broadcast(text);
      void this.refresh();
      return null;
    } catch (e) {
      return errorText(e);
    }
  }

  async #act(
    key: string,
    action: () => Promise<void>,
    { refresh = true }: { refresh?: boolean } = {},
  ): Promise<void> {
    this.busy.add(key);
    try {
      await action();
      this.error = null;
      this.#errorFromAction = false;
    } catch (e) {
      this.error = errorText(e);
      this.#errorFromAction = true;
    } finally {
      this.busy.delete(key);
    }
    if (refresh) await this.refresh();
  }
}
