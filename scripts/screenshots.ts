/**
 * Screenshots of the web client as its users see it: every main view in both languages, both
 * themes, at desktop and phone size, written as PNG files to look at (`npm run screenshots`).
 *
 * One set of people per language (names and messages in that language), set up once through the
 * UI; the themes and sizes are then switched on the same pages (emulateMedia, setViewportSize), so
 * the whole run registers six people, not forty-eight.
 *
 *   npm run screenshots [-- --out DIR] [-- --lang en|zh]
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import {
  befriend,
  inviteToGroup,
  startHarness,
  until,
  type Harness,
  type Person,
} from '../tests/helpers/browser.ts';

type Lang = 'en' | 'zh';
const SIZES = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;
const THEMES = ['light', 'dark'] as const;

/** What the people say, in the language of the browser they use. */
const SCRIPT: Record<Lang, { locale: string; names: [string, string, string]; lines: string[] }> = {
  en: {
    locale: 'en-US',
    names: ['alice', 'bob', 'carol'],
    lines: [
      'Are we still on for lunch tomorrow?',
      'Yes! The place on 5th street, see https://example.com/menu 🍜',
      '👍',
      'The team group is set up, I invited Carol.',
    ],
  },
  zh: {
    locale: 'zh-CN',
    names: ['xiaoming', 'xiaohong', 'laowang'],
    lines: [
      '明天中午还一起吃饭吗？',
      '好呀！就去五道口那家，菜单在 https://example.com/menu 🍜',
      '👍',
      '项目群建好了，我把老王也拉进来了。',
    ],
  },
};

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function shoot(page: Page, dir: string, view: string): Promise<void> {
  for (const theme of THEMES) {
    await page.emulateMedia({ colorScheme: theme });
    for (const [size, viewport] of Object.entries(SIZES)) {
      await page.setViewportSize(viewport);
      // Let layout and any transition settle before the picture.
      await page.waitForTimeout(250);
      await page.screenshot({ path: join(dir, `${view}-${size}-${theme}.png`) });
    }
  }
  await page.setViewportSize(SIZES.desktop);
}

async function language(h: Harness, lang: Lang, out: string): Promise<void> {
  const { locale, names, lines } = SCRIPT[lang];
  const dir = join(out, lang);
  mkdirSync(dir, { recursive: true });

  const signIn = await h.person(h.unique('visitor'), { locale });
  await signIn.byTestId('auth-submit').waitFor();
  await shoot(signIn.page, dir, '01-sign-in');
  await signIn.context.close();

  const [a, b, c] = (await Promise.all(names.map((n) => h.person(h.unique(n), { locale })))) as [
    Person,
    Person,
    Person,
  ];
  for (const p of [a, b, c]) await p.register();
  await shoot(a.page, dir, '02-new-account');

  await befriend(a, b);
  await befriend(a, c);
  await a.openFriend(b.name);
  await a.type(lines[0]!);
  await b.openFriend(a.name);
  await b.expectMessage(lines[0]!);
  await b.type(lines[1]!);
  await b.type(lines[2]!);
  await a.expectMessage(lines[2]!);
  await shoot(a.page, dir, '03-private-chat');

  const group = lang === 'zh' ? '项目组' : 'team';
  await a.page.locator('#new-group-input').fill(group);
  await a.page.locator('#new-group-input').press('Enter');
  await until('group open', () => a.byTestId('conversation-title').textContent(), group);
  if (!(await a.byTestId('group-panel').isVisible())) await a.byTestId('toggle-members').click();
  await inviteToGroup(a, b, group);
  await inviteToGroup(a, c, group);
  await a.type(lines[3]!);
  await c.openGroup(group);
  await c.expectMessage(lines[3]!);
  await shoot(a.page, dir, '04-group-with-members');

  // The group made a public room, then the directory as someone else sees it.
  await a.byTestId('room-public').click();
  await b.byTestId('browse-rooms').click();
  await b.page.getByTestId('room').first().waitFor();
  await shoot(b.page, dir, '08-rooms');

  // Search across conversations, a word from inside a sentence.
  await a.byTestId('open-search').click();
  await a.byTestId('search-input').fill(lang === 'zh' ? '吃饭' : 'lunch');
  await a.page.getByTestId('search-hit').first().waitFor();
  await shoot(a.page, dir, '09-search');

  await a.byTestId('open-console').click();
  await a.type('/help');
  await shoot(a.page, dir, '05-console-help');

  await a.byTestId('open-account').click();
  await shoot(a.page, dir, '06-account');

  await h.server.app.services.auth.setAdmin(c.name, true);
  await c.byTestId('sign-out').click();
  await c.login();
  await c.byTestId('open-admin').click();
  await c.page.locator('[data-testid="admin-user"]').first().waitFor();
  await shoot(c.page, dir, '07-admin');

  for (const p of [a, b, c]) await p.context.close();
}

async function main(): Promise<void> {
  const out = resolve(argument('out') ?? 'screenshots');
  const only = argument('lang') as Lang | undefined;
  const h = await startHarness();
  try {
    for (const lang of only ? [only] : (['en', 'zh'] as const)) await language(h, lang, out);
  } finally {
    await h.close();
  }
  console.log(`screenshots in ${out}`);
}

await main();
