/**
 * Fixes from issue 12's walkthrough that no other test held, in a zh-CN and an en-US browser: the
 * inline errors under "Add friend" and "Invite" are coloured as errors (they were green, as a
 * success is) and read out as alerts; presence is said in words to a screen reader, not by the
 * dot's colour alone, also once a last message takes the row's second line; opening a
 * conversation puts the caret in its composer rather than leaving focus on the sidebar.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  befriend,
  startGroup,
  startHarness,
  type Harness,
  type Person,
} from '../helpers/browser.ts';
import { m } from '../../web/src/paraglide/messages.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

/** The colour a design token resolves to on this page, as getComputedStyle writes colours. */
const token = (p: Person, name: string) =>
  p.page.evaluate((n) => {
    const probe = document.createElement('span');
    probe.style.color = `var(${n})`;
    document.body.append(probe);
    const colour = getComputedStyle(probe).color;
    probe.remove();
    return colour;
  }, name);

const colourOf = (p: Person, selector: string) =>
  p.page.locator(selector).evaluate((el) => getComputedStyle(el).color);

describe.each([
  { locale: 'en-US', lang: 'en' },
  { locale: 'zh-CN', lang: 'zh-CN' },
] as const)('the walkthrough fixes in $locale', ({ locale, lang }) => {
  let ann: Person;
  let ben: Person;

  beforeAll(async () => {
    ann = await h.person(h.unique('ann'), { locale });
    ben = await h.person(h.unique('ben'), { locale });
    await ann.register();
    await ben.register();
  });

  it('says a failed "Add friend" or "Invite" in the colour of an error, as an alert', async () => {
    const danger = await token(ann, '--danger');
    const ok = await token(ann, '--ok');
    expect(danger).not.toBe(ok);

    const ghost = h.unique('ghost');
    await ann.page.locator('#add-friend-input').fill(ghost);
    await ann.page.locator('#add-friend-input').press('Enter');
    const friendMsg = ann.page.locator('#add-friend-msg');
    await expect.poll(() => friendMsg.textContent()).toContain(ghost);
    expect(await friendMsg.getAttribute('role')).toBe('alert');
    expect(await colourOf(ann, '#add-friend-msg')).toBe(danger);
    expect(await ann.page.locator('#add-friend-input').getAttribute('aria-invalid')).toBe('true');

    // A success in the same place is the other colour, and no alert.
    await befriend(ann, ben);
    await expect
      .poll(() => friendMsg.textContent())
      .toContain(m.sidebar_requestSentTo({ name: ben.name }, { locale: lang }));
    expect(await colourOf(ann, '#add-friend-msg')).toBe(ok);
    expect(await friendMsg.getAttribute('role')).toBeNull();

    await startGroup(ann, [], h.unique('crew'));
    await ann.page.locator('#invite-member-input').fill(ghost);
    await ann.page.locator('#invite-member-input').press('Enter');
    const inviteMsg = ann.page.locator('#invite-member-msg');
    await expect.poll(() => inviteMsg.textContent()).toContain(ghost);
    expect(await inviteMsg.getAttribute('role')).toBe('alert');
    expect(await colourOf(ann, '#invite-member-msg')).toBe(danger);
  });

  it('says presence in words to a screen reader, and puts the caret in an opened chat', async () => {
    await ann.openFriend(ben.name);
    // The caret is in the conversation's composer, not on the row that was clicked.
    await expect
      .poll(() => ann.byTestId('composer-input').evaluate((el) => el === document.activeElement))
      .toBe(true);
    await ann.type('hello');
    await ann.expectMessage('hello');
    // The row's second line is the last message now; the presence is still in its name.
    const online = m.presence_online({}, { locale: lang });
    await expect
      .poll(() => ann.friendRow(ben.name).ariaSnapshot())
      .toMatch(new RegExp(`${online}.*${ben.name}|${ben.name}.*${online}`));
    expect(await ann.friendRow(ben.name).getByTestId('presence-text').textContent()).toBe(online);

    await ben.page.close();
    const offline = m.presence_offline({}, { locale: lang });
    await expect
      .poll(() => ann.friendRow(ben.name).getByTestId('presence-text').textContent(), {
        timeout: 15_000,
      })
      .toBe(offline);
  });
});
