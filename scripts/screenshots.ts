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
import { png } from '../tests/helpers/png.ts';

type Lang = 'en' | 'zh';
const SIZES = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;
const THEMES = ['light', 'dark'] as const;

/** What the people say, in the language of the browser they use. */
const SCRIPT: Record<
  Lang,
  {
    locale: string;
    names: [string, string, string];
    lines: string[];
    files: [string, string, string];
  }
> = {
  en: {
    locale: 'en-US',
    names: ['alice', 'bob', 'carol'],
    lines: [
      'Are we still on for lunch tomorrow?',
      'Yes! The place on 5th street, see https://example.com/menu 🍜',
      '👍',
      'The team group is set up, I invited Carol.',
      'Great, see you at noon.',
      'The server restarts tonight at 23:00 for maintenance.',
      'Welcome! Please keep the chat friendly.',
    ],
    files: ['photo-of-the-menu.png', 'trip-plan.pdf', 'holiday-video.mp4'],
  },
  zh: {
    locale: 'zh-CN',
    names: ['xiaoming', 'xiaohong', 'laowang'],
    lines: [
      '明天中午还一起吃饭吗？',
      '好呀！就去五道口那家，菜单在 https://example.com/menu 🍜',
      '👍',
      '项目群建好了，我把老王也拉进来了。',
      '好的，中午见。',
      '服务器今晚 23:00 重启维护，期间可能无法连接。',
      '欢迎！请大家文明聊天。',
    ],
    files: ['菜单照片.png', '旅行计划.pdf', '假期视频.mp4'],
  },
};

/** A file made in the page (a large one is too slow to hand through the protocol). */
async function attachInPage(p: Person, name: string, type: string, bytes: number): Promise<void> {
  await p.page.evaluate(
    ({ name, type, bytes }) => {
      const input = document.querySelector<HTMLInputElement>('[data-testid="attach-input"]')!;
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], name, { type }));
      input.files = transfer.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    },
    { name, type, bytes },
  );
}

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
  const { locale, names, lines, files } = SCRIPT[lang];
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

  // Bob has the chat open, so Alice's next message turns "Read"; then he starts typing.
  await a.type(lines[4]!);
  await a.expectMessage(lines[4]!, 'read');
  await b.byTestId('composer-input').pressSequentially(lang === 'zh' ? '我马上' : 'On my');
  await a.byTestId('typing').waitFor({ timeout: 15_000 });
  await shoot(a.page, dir, '10-typing-and-read');
  await b.byTestId('composer-input').fill('');

  // Files: a photo (thumbnail) and a document, done; a large video still on its way.
  await a
    .byTestId('attach-input')
    .setInputFiles({ name: files[0], mimeType: 'image/png', buffer: png(640, 420) });
  await b.page
    .locator('[data-testid="file-card"][data-state="done"] [data-testid="file-image"]')
    .waitFor({ timeout: 30_000 });
  await attachInPage(b, files[1], 'application/pdf', 180 * 1024);
  await a.page
    .locator('[data-testid="file-card"][data-state="done"]')
    .nth(1)
    .waitFor({ timeout: 30_000 });
  await attachInPage(a, files[2], 'video/mp4', 200 * 1024 * 1024);
  // Part-way: some bytes across, so the bar shows progress rather than an empty start.
  await until(
    'the video under way',
    async () =>
      Number(
        (await a.page
          .locator(
            `[data-testid="file-card"]:has-text("${files[2]}") [data-testid="file-progress"]`,
          )
          .getAttribute('data-bytes', { timeout: 30_000 })) ?? 0,
      ) > 0,
    true,
    30_000,
  );
  await shoot(a.page, dir, '11-files');
  await shoot(b.page, dir, '11-files-receiver');
  await a.page
    .locator(`[data-testid="file-card"]:has-text("${files[2]}") [data-testid="file-cancel"]`)
    .click();

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

  // The System conversation: a message from the administrator to Alice, then a broadcast.
  const adminSend = async (text: string) => {
    await c.byTestId('admin-send-text').fill(text);
    await c.byTestId('admin-send').click();
    const result = c.byTestId('admin-send-result');
    await result.waitFor();
    if (!(await result.getAttribute('class'))?.includes('ok'))
      throw new Error(`admin send: ${await result.textContent()}`);
  };
  await c.byTestId('admin-send-user').fill(a.name);
  await adminSend(lines[5]!);
  await c.page
    .locator('label')
    .filter({ has: c.byTestId('admin-target-broadcast') })
    .click();
  await adminSend(lines[6]!);
  await a.byTestId('system-conversation').click();
  for (const text of [lines[5]!, lines[6]!])
    await a.page
      .locator('[data-testid="message"][data-system="true"]')
      .filter({ hasText: text })
      .waitFor({ timeout: 20_000 });
  await shoot(a.page, dir, '12-system');

  // Carol removed from the group: the group's event lines, and a composer that no longer sends.
  await a.openGroup(group);
  if (!(await a.byTestId('group-panel').isVisible())) await a.byTestId('toggle-members').click();
  const carol = a.page.locator(`[data-testid="member"][data-username="${c.name}"]`);
  await carol.getByTestId('kick-member').click();
  await carol.getByTestId('confirm-kick-yes').click();
  await c.byTestId(`ended-group-${group}`).click();
  await until('group open', () => c.byTestId('conversation-title').textContent(), group);
  await c.byTestId('composer-reason').waitFor();
  await shoot(c.page, dir, '13-removed-from-group');

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
