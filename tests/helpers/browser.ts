/**
 * End-to-end harness: the built web client served by a real signaling server, driven through real
 * Chromium. Each person is a separate browser context (own storage, own IndexedDB, own WebRTC).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
} from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './platform.ts';
import { startServer, type TestServer } from './server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const DIST = join(ROOT, 'dist');
export const PASSWORD = 'correct horse battery';

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Builds the client unless dist/ is newer than every source that goes into it. */
export function buildClientIfStale(): void {
  const built = existsSync(join(DIST, 'index.html'))
    ? statSync(join(DIST, 'index.html')).mtimeMs
    : 0;
  const sources = Math.max(
    newestMtime(join(ROOT, 'web')),
    newestMtime(join(ROOT, 'shared')),
    newestMtime(join(ROOT, 'messages')),
    newestMtime(join(ROOT, 'project.inlang/settings.json')),
    newestMtime(join(ROOT, 'vite.config.ts')),
    newestMtime(join(ROOT, 'svelte.config.js')),
  );
  if (built > sources) return;
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
}

/**
 * Polls `read` until it returns `expected`; the error names what was awaited and what was last
 * seen. (Not vitest's expect.poll, so the harness also drives the screenshot script.)
 */
export async function until<T>(
  what: string,
  read: () => Promise<T>,
  expected: T,
  timeout = 15_000,
): Promise<void> {
  const end = Date.now() + timeout;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await read().catch(() => undefined);
    if (last === expected) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `${what}: expected ${JSON.stringify(expected)}, last saw ${JSON.stringify(last)}`,
  );
}

export interface Harness {
  server: TestServer;
  browser: Browser;
  url: string;
  /** A new person: a fresh browser context and page, on the sign-in screen. */
  person(name: string, options?: PersonOptions): Promise<Person>;
  /** A name unique to this harness, so tests share one server without meeting each other. */
  unique(base: string): string;
  /** New people with unique names, registered through the UI. */
  people(...names: string[]): Promise<Person[]>;
  close(): Promise<void>;
}

/** Friends through the UI: a asks, b accepts, and a sees b in the friends list. */
export async function befriend(a: Person, b: Person): Promise<void> {
  await a.addFriend(b.name);
  await b.page.locator(`[data-testid="incoming-request"][data-username="${a.name}"]`).waitFor();
  await b.accept(a.name);
  await a.friendRow(b.name).waitFor();
}

/**
 * A group invitation through the UI: `by` (its members panel open) invites `who`, who accepts from
 * the sidebar, and `by` sees them among the members.
 */
export async function inviteToGroup(by: Person, who: Person, group: string): Promise<void> {
  await by.page.locator('#invite-member-input').fill(who.name);
  await by.page.locator('#invite-member-input').press('Enter');
  await who.joinGroup(group);
  await by.page.locator(`[data-testid="member"][data-username="${who.name}"]`).waitFor();
}

/**
 * A group made through the UI: `owner` creates it from the sidebar, opens its members panel and
 * invites each of `members`, who accept; the owner's conversation is left open on the group.
 */
export async function startGroup(owner: Person, members: Person[], group: string): Promise<void> {
  await owner.page.locator('#new-group-input').fill(group);
  await owner.page.locator('#new-group-input').press('Enter');
  await until('open group', () => owner.byTestId('conversation-title').textContent(), group);
  if (!(await owner.byTestId('group-panel').isVisible()))
    await owner.byTestId('toggle-members').click();
  for (const p of members) await inviteToGroup(owner, p, group);
}

export interface PersonOptions {
  viewport?: { width: number; height: number };
  colorScheme?: 'light' | 'dark';
  /** The browser's language (navigator.languages), e.g. 'zh-CN'; en-US unless given. */
  locale?: string;
}

export async function startHarness(): Promise<Harness> {
  buildClientIfStale();
  const server = await startServer('sqlite', {
    staticDir: DIST,
    // A page on a loaded machine (CI's two shared cores, three browsers, a server) can miss a 1 s
    // heartbeat and be "offline" for a moment: a friend then closes their channel to it mid-file
    // and a member just added counts as offline. A browser that really left closes its socket;
    // one cut off by setOffline is noticed within 6 s this way.
    pingIntervalMs: 2_000,
    pingTimeoutMs: 4_000,
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
  });
  const contexts = new Set<BrowserContext>();
  let serial = 0;
  const harness: Harness = {
    server,
    browser,
    url: server.url,
    unique: (base) => `${base}${++serial}`,
    async people(...names) {
      const list = await Promise.all(names.map((n) => harness.person(harness.unique(n))));
      for (const p of list) await p.register();
      return list;
    },
    async person(name, options = {}) {
      const context = await browser.newContext({
        viewport: options.viewport ?? { width: 1280, height: 800 },
        colorScheme: options.colorScheme ?? 'light',
        locale: options.locale ?? 'en-US',
      });
      contexts.add(context);
      const page = await context.newPage();
      await page.goto(server.url);
      return new Person(name, context, page, server.url);
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await server.close();
    },
  };
  return harness;
}

/** One person using the app: the UI steps tests repeat, named for what the person does. */
export class Person {
  constructor(
    readonly name: string,
    readonly context: BrowserContext,
    public page: Page,
    readonly url: string,
  ) {}

  byTestId(id: string): Locator {
    return this.page.getByTestId(id);
  }

  async fillAuth(mode: 'login' | 'register', password = PASSWORD): Promise<void> {
    const submit = this.byTestId('auth-submit');
    await submit.waitFor();
    // By the form's mode, not its words: the button says 登录 in a Chinese browser.
    const form = this.byTestId('auth-form');
    if ((await form.getAttribute('data-mode')) !== mode) await this.byTestId('auth-switch').click();
    await this.byTestId('auth-username').fill(this.name);
    await this.byTestId('auth-password').fill(password);
    await submit.click();
  }

  async register(): Promise<void> {
    await this.fillAuth('register');
    await this.signedIn();
  }

  async login(): Promise<void> {
    await this.fillAuth('login');
    await this.signedIn();
  }

  async signedIn(): Promise<void> {
    // A sign-in in a new browser derives the key backup's wrap key (Argon2id, memory-hard, in
    // the page's JavaScript by design): seconds on a quiet machine, longer on CI's shared cores.
    await until(
      `${this.name} signed in`,
      () => this.byTestId('me-name').textContent(),
      this.name,
      30_000,
    );
  }

  /** Closes the page (the person goes offline) and opens a new one in the same context. */
  async reopen(): Promise<void> {
    await this.page.close();
    this.page = await this.context.newPage();
    await this.page.goto(this.url);
  }

  async reload(): Promise<void> {
    await this.page.reload();
  }

  async addFriend(username: string): Promise<void> {
    await this.page.locator('#add-friend-input').fill(username);
    await this.page.locator('#add-friend-input').press('Enter');
    await this.byTestId(`outgoing-${username}`).waitFor();
  }

  async accept(username: string): Promise<void> {
    await this.page
      .locator(`[data-testid="incoming-request"][data-username="${username}"]`)
      .getByTestId('accept-request')
      .click();
    await this.friendRow(username).waitFor();
  }

  /** Accepts the invitation to group `name` from the sidebar; waits until the group is theirs. */
  async joinGroup(name: string): Promise<void> {
    await this.page
      .locator(`[data-testid="group-invitation"][data-group="${name}"]`)
      .getByTestId('accept-invitation')
      .click();
    await this.groupRow(name).waitFor();
  }

  friendRow(username: string): Locator {
    return this.byTestId(`friend-${username}`);
  }

  groupRow(name: string): Locator {
    return this.byTestId(`group-${name}`);
  }

  async openFriend(username: string): Promise<void> {
    await this.friendRow(username).click();
    await until(
      'open conversation',
      () => this.byTestId('conversation-title').textContent(),
      username,
    );
  }

  async openGroup(name: string): Promise<void> {
    await this.groupRow(name).click();
    await until('open conversation', () => this.byTestId('conversation-title').textContent(), name);
  }

  /** Types into the composer and presses Enter (a message, or a / command). */
  async type(line: string): Promise<void> {
    const input = this.byTestId('composer-input');
    await input.fill(line);
    await input.press('Enter');
  }

  /** The message bubble with exactly this text in the open conversation. */
  message(text: string): Locator {
    return this.page
      .getByTestId('message')
      .filter({ has: this.page.getByTestId('message-text').getByText(text, { exact: true }) });
  }

  async expectMessage(text: string, state?: string, timeout = 20_000): Promise<void> {
    const message = this.message(text);
    await message.waitFor({ timeout });
    if (state) {
      await until(`state of "${text}"`, () => message.getAttribute('data-state'), state, timeout);
    }
  }

  lastNotice(): Locator {
    return this.page.getByTestId('notice-text').last();
  }
}
