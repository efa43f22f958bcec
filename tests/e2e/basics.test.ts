/**
 * The everyday basics in real Chromium, in a Chinese and an English browser: links that open
 * safely, the emoji picker (its own download, inserting at the caret), emoji-only messages shown
 * large, the unread count in the title and a desktop notification while the tab is hidden.
 *
 * Headless Chromium never hides a tab, so "hidden" is the page's visibility properties set and the
 * visibilitychange event fired, as a switch of tab does; the notification itself is the browser's
 * real Notification (the context is granted the permission), seen through a subclass that records
 * what it was constructed with.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  befriend,
  inviteToGroup,
  startGroup,
  startHarness,
  type Harness,
  type Person,
} from '../helpers/browser.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

declare global {
  interface Window {
    __notifications?: { title: string; body: string | undefined; tag: string | undefined }[];
  }
}

/** Records every notification the page shows; installed before the app's scripts run. */
async function watchNotifications(p: Person): Promise<void> {
  await p.context.grantPermissions(['notifications'], { origin: h.url });
  await p.context.addInitScript(() => {
    const Real = window.Notification;
    window.__notifications = [];
    class Recorded extends Real {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        window.__notifications?.push({ title, body: options?.body, tag: options?.tag });
      }
    }
    Object.defineProperty(Recorded, 'permission', { get: () => Real.permission });
    window.Notification = Recorded;
  });
  await p.reload();
  await p.signedIn();
}

async function setHidden(p: Person, hidden: boolean): Promise<void> {
  await p.page.evaluate((hide) => {
    Object.defineProperty(document, 'visibilityState', {
      configurable: true,
      get: () => (hide ? 'hidden' : 'visible'),
    });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => hide });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

const fontSize = (p: Person, text: string) =>
  p
    .message(text)
    .getByTestId('message-text')
    .evaluate((el) => parseFloat(getComputedStyle(el).fontSize));

describe.each([
  { locale: 'zh-CN', title: 'P2SP Chat', emoji: '表情', offer: '桌面通知' },
  { locale: 'en-US', title: 'P2SP Chat', emoji: 'Emoji', offer: 'desktop notification' },
])('the everyday basics in a $locale browser', ({ locale, title, emoji, offer }) => {
  let a: Person;
  let b: Person;

  beforeAll(async () => {
    a = await h.person(h.unique('ann'), { locale });
    b = await h.person(h.unique('bo'), { locale });
    await a.register();
    await b.register();
    await befriend(a, b);
    await a.openFriend(b.name);
    await b.openFriend(a.name);
  });

  it('offers notifications after the first message, not before; "not now" is remembered', async () => {
    expect(await a.byTestId('notify-offer').count()).toBe(0);
    await a.type('hello 你好');
    await b.expectMessage('hello 你好');
    await expect.poll(() => a.byTestId('notify-offer').textContent()).toContain(offer);
    await a.byTestId('notify-offer').getByRole('button').first().click();
    expect(await a.byTestId('notify-offer').count()).toBe(0);
    await a.reload();
    await a.signedIn();
    await a.openFriend(b.name);
    await a.type('again');
    await b.expectMessage('again');
    // The page has had a message again; the declined offer does not come back.
    await new Promise((r) => setTimeout(r, 300));
    expect(await a.byTestId('notify-offer').count()).toBe(0);
  });

  it('makes http(s) and mailto links clickable and nothing else', async () => {
    const text =
      '看https://example.com/p?q=1，或 mailto:x@example.org javascript:alert(1) data:text/html,hi';
    await a.type(text);
    await b.expectMessage(text);
    const links = b.message(text).getByTestId('message-link');
    await expect.poll(() => links.count()).toBe(2);
    const attrs = await links.evaluateAll((els) =>
      els.map((el) => ({
        href: el.getAttribute('href'),
        text: el.textContent,
        target: el.getAttribute('target'),
        rel: el.getAttribute('rel'),
      })),
    );
    expect(attrs).toEqual([
      {
        href: 'https://example.com/p?q=1',
        text: 'https://example.com/p?q=1',
        target: '_blank',
        rel: 'noopener noreferrer',
      },
      {
        href: 'mailto:x@example.org',
        text: 'mailto:x@example.org',
        target: '_blank',
        rel: 'noopener noreferrer',
      },
    ]);
    // Markup in a message stays characters on screen.
    const markup = '<img src=x onerror="window.__pwned=1"> <a href="javascript:alert(1)">x</a>';
    await a.type(markup);
    await b.expectMessage(markup);
    expect(await b.message(markup).locator('img, a').count()).toBe(0);
    expect(await b.page.evaluate(() => 'pwned' in window || '__pwned' in window)).toBe(false);
  });

  it('opens the emoji picker only when asked, and inserts at the caret', async () => {
    const picker = a.page.locator('emoji-picker');
    expect(await picker.count()).toBe(0);
    expect(await a.byTestId('emoji-button').getAttribute('aria-label')).toBe(emoji);
    const input = a.byTestId('composer-input');
    await input.fill('ab');
    await input.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(1, 1));
    const requested: string[] = [];
    a.page.on('request', (r) => requested.push(r.url()));
    const chunk = a.page.waitForResponse((r) => /emoji-picker-[\w-]+\.js$/.test(r.url()));
    const data = a.page.waitForResponse((r) => /\/assets\/data-[\w-]+\.json$/.test(r.url()));
    await a.byTestId('emoji-button').click();
    expect((await chunk).ok()).toBe(true);
    expect((await data).ok()).toBe(true);
    const first = picker.locator('button.emoji[role="menuitem"]').first();
    await first.waitFor({ timeout: 20_000 });
    const chosen = (await first.textContent())?.trim() ?? '';
    expect(chosen).not.toBe('');
    await first.click();
    await expect.poll(() => input.inputValue()).toBe(`a${chosen}b`);
    // Code and data from this site only: the machine (and many users' networks) has no CDN.
    expect(requested.length).toBeGreaterThan(0);
    for (const url of requested) expect(new URL(url).origin).toBe(new URL(h.url).origin);
    await a.page.keyboard.press('Escape');
    await expect.poll(() => picker.count()).toBe(0);
  });

  it('shows a message of one to three emoji larger than text', async () => {
    await a.type('👍🎉');
    await a.type('ok 👍');
    await b.expectMessage('👍🎉');
    await b.expectMessage('ok 👍');
    const big = await fontSize(b, '👍🎉');
    const normal = await fontSize(b, 'ok 👍');
    expect(big).toBeGreaterThan(normal * 1.8);
  });

  it('draws emoji in colour, also those the text font has in black and white', async () => {
    // 😀 is in DejaVu Sans (system-ui on Linux) as an outline; the colour face is yellow.
    await a.type('😀');
    await b.expectMessage('😀');
    const shot = await b.message('😀').getByTestId('message-text').screenshot();
    const yellow = await b.page.evaluate(async (png) => {
      const img = new Image();
      img.src = `data:image/png;base64,${png}`;
      await img.decode();
      const canvas = new OffscreenCanvas(img.width, img.height);
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const { data } = ctx.getImageData(0, 0, img.width, img.height);
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, bl] = [data[i]!, data[i + 1]!, data[i + 2]!];
        if (r > 180 && g > 130 && bl < 110) n++;
      }
      return n;
    }, shot.toString('base64'));
    expect(yellow).toBeGreaterThan(100);
  });

  it('counts unread in the title and notifies while the tab is hidden', async () => {
    await watchNotifications(b);
    await b.openFriend(a.name);
    await expect.poll(() => b.page.title()).toBe(title);
    // A granted permission needs no offer.
    expect(await b.byTestId('notify-offer').count()).toBe(0);
    await setHidden(b, true);
    await a.type('are you there?');
    await expect.poll(() => b.page.title()).toBe(`(1) ${title}`);
    const icon = await b.page.locator('link[rel="icon"]').getAttribute('href');
    expect(decodeURIComponent(icon ?? '')).toContain('>1</text>');
    await expect
      .poll(() => b.page.evaluate(() => window.__notifications))
      .toEqual([{ title: a.name, body: 'are you there?', tag: `u:${a.name}` }]);
    // Back on the tab: the open conversation is read, the count goes.
    await setHidden(b, false);
    await expect.poll(() => b.page.title()).toBe(title);
    // Visible: no notification for the next one.
    await a.type('good');
    await b.expectMessage('good');
    await new Promise((r) => setTimeout(r, 300));
    expect(await b.page.evaluate(() => window.__notifications?.length)).toBe(1);
  });

  it('the setting turns notifications off', async () => {
    await b.byTestId('open-account').click();
    const setting = b.byTestId('notify-setting');
    expect(await setting.isChecked()).toBe(true);
    await setting.uncheck();
    await b.openFriend(a.name);
    await setHidden(b, true);
    await a.type('quiet please');
    await expect.poll(() => b.page.title()).toBe(`(1) ${title}`);
    await new Promise((r) => setTimeout(r, 300));
    expect(await b.page.evaluate(() => window.__notifications?.length)).toBe(1);
    await setHidden(b, false);
  });

  it('notifies a group message, not a group event (a line of the conversation, nobody wrote it)', async () => {
    await b.byTestId('open-account').click();
    await b.byTestId('notify-setting').check();
    await b.page.evaluate(() => (window.__notifications = []));
    const cy = await h.person(h.unique('cy'), { locale });
    await cy.register();
    const band = h.unique('band');
    await startGroup(a, [b], band);
    await setHidden(b, true);
    await inviteToGroup(a, cy, band);
    // b's history has the line "cy joined" (the group's row shows it as its last line) ...
    await expect.poll(() => b.groupRow(band).textContent()).toContain(cy.name);
    // ... and the next message is the first thing notified.
    await a.type('welcome cy');
    await expect
      .poll(() => b.page.evaluate(() => window.__notifications?.map((n) => n.body)))
      .toEqual(['welcome cy']);
    await setHidden(b, false);
  });
});
