/**
 * The first load is the sign-in form only; the chat (engine, app state, chat UI) is a second chunk
 * fetched behind it (web/src/boot/). These check what that means for a person: the form works
 * without the chunk, a failed download says so and a later submit tries again, and a stored
 * session resumes straight into the chat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { m } from '../../web/src/paraglide/messages.js';
import { startHarness, type Harness } from '../helpers/browser.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

const CHAT_CHUNK = /\/assets\/chat-[^/]+\.js$/;

describe('the first load', () => {
  it('shows the sign-in form without the chat chunk, reports a failed download and retries it', async () => {
    const erin = await h.person(h.unique('erin'));
    // A fresh page whose chat chunk cannot be fetched (a flaky network, a deploy mid-visit).
    await erin.page.route(CHAT_CHUNK, (route) => route.abort('connectionfailed'));
    await erin.page.goto(h.url);
    await erin.byTestId('auth-form').waitFor();
    await expect
      .poll(() => erin.byTestId('auth-error').textContent())
      .toMatch(/could not be downloaded/);

    await erin.page.unroute(CHAT_CHUNK);
    await erin.register();
    await expect.poll(() => erin.byTestId('auth-error').count()).toBe(0);

    // The token is stored: a reload resumes into the chat, never showing the form.
    const sawForm = erin.page.waitForSelector('[data-testid="auth-form"]', { timeout: 0 });
    let formShown = false;
    void sawForm.then(
      () => (formShown = true),
      () => undefined,
    );
    await erin.reload();
    await erin.signedIn();
    expect(formShown).toBe(false);
  });

  it('a sign-in submitted before the chat arrives is answered in the same form', async () => {
    const hana = await h.person(h.unique('hana'));
    await hana.register();
    const device = await h.person(hana.name);
    // A slow network: the chat chunk comes only once the form has been submitted.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    await device.page.route(CHAT_CHUNK, async (route) => {
      await held;
      await route.continue();
    });
    await device.page.goto(h.url);
    await device.fillAuth('login', 'not the password');
    await expect.poll(() => device.byTestId('auth-submit').isDisabled()).toBe(true);
    release();
    await expect
      .poll(() => device.byTestId('auth-error').textContent())
      .toBe('Wrong username or password.');
    // What was typed is still there to correct.
    expect(await device.byTestId('auth-username').inputValue()).toBe(hana.name);
    await device.fillAuth('login');
    await device.signedIn();
  });

  it("carries the sign-in words, in both languages, and not the chat's", async () => {
    const gao = await h.person(h.unique('gao'));
    await gao.page.route(CHAT_CHUNK, (route) => route.abort('connectionfailed'));
    await gao.page.goto(h.url);
    await gao.byTestId('auth-form').waitFor();
    // Every script the page fetched, less the chat chunk it could not have.
    const urls = await gao.page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .map((e) => e.name)
        .filter((name) => new URL(name).pathname.endsWith('.js')),
    );
    const firstLoad = urls.filter((u) => !CHAT_CHUNK.test(new URL(u).pathname));
    expect(firstLoad.length).toBeGreaterThan(0);
    const code = (await Promise.all(firstLoad.map((u) => fetch(u).then((r) => r.text())))).join(
      '\n',
    );
    for (const locale of ['en', 'zh-CN'] as const) {
      expect(code).toContain(m.signIn_tagline({}, { locale }));
      // Chat words (a conversation's header, the safety number) come with the chat chunk.
      expect(code).not.toContain(m.conversation_removeFriend({}, { locale }));
      expect(code).not.toContain(m.safety_acceptNote({}, { locale }));
    }
  });

  it('says it in Chinese in a Chinese browser', async () => {
    const fang = await h.person(h.unique('fang'), { locale: 'zh-CN' });
    await fang.page.route(CHAT_CHUNK, (route) => route.abort('connectionfailed'));
    await fang.page.goto(h.url);
    await expect.poll(() => fang.byTestId('auth-error').textContent()).toMatch(/未能下载/);
  });
});
