/**
 * Rooms through the UI in real Chromium, once in an en-US browser and once in a zh-CN one: an
 * owner makes a group public from its members panel, a stranger finds it in the lazily loaded
 * Rooms view by a search, joins it without an invitation and talks in it (peer to peer), and
 * once the owner makes it private again the directory no longer lists it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness, type Person } from '../helpers/browser.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

const LANGUAGES = [
  {
    locale: 'en-US',
    browse: 'Browse rooms',
    title: 'Rooms',
    publicSwitch: 'Public room',
    counts: '1 online · 1 member',
    countsAfter: '2 online · 2 members',
    join: 'Join',
    badge: 'public',
    noMatch: (q: string) => `No room matches “${q}”.`,
    hello: 'hello, room',
  },
  {
    locale: 'zh-CN',
    browse: '浏览聊天室',
    title: '聊天室',
    publicSwitch: '公开聊天室',
    counts: '1 人在线 · 共 1 名成员',
    countsAfter: '2 人在线 · 共 2 名成员',
    join: '加入',
    badge: '公开',
    noMatch: (q: string) => `没有名称包含“${q}”的聊天室。`,
    hello: '大家好',
  },
] as const;

describe.each(LANGUAGES)('rooms in a $locale browser', (lang) => {
  let owner: Person;
  let visitor: Person;
  let room: string;

  const rooms = (p: Person) => p.byTestId('room');
  const search = async (p: Person, q: string) => {
    await p.byTestId('rooms-search').fill(q);
    await p.byTestId('rooms-search').press('Enter');
  };

  it('an owner makes a group public from its members panel', async () => {
    owner = await h.person(h.unique('owner'), { locale: lang.locale });
    await owner.register();
    room = `${h.unique('茶馆')} Tea`;
    await owner.page.locator('#new-group-input').fill(room);
    await owner.page.locator('#new-group-input').press('Enter');
    await expect.poll(() => owner.byTestId('conversation-title').textContent()).toBe(room);
    // On a desktop the members panel may be open already; the button would close it.
    if (!(await owner.byTestId('group-panel').isVisible()))
      await owner.byTestId('toggle-members').click();
    const toggle = owner.byTestId('room-public');
    expect(await toggle.isChecked()).toBe(false);
    expect(await owner.byTestId('group-panel').textContent()).toContain(lang.publicSwitch);
    await toggle.check();
    await expect.poll(() => owner.groupRow(room).textContent()).toContain(lang.badge);
    expect(await toggle.isChecked()).toBe(true);
  });

  it('a stranger finds it by a search, joins without an invitation, and talks in it', async () => {
    visitor = await h.person(h.unique('visitor'), { locale: lang.locale });
    await visitor.register();
    const browse = visitor.byTestId('browse-rooms');
    expect(await browse.textContent()).toBe(lang.browse);
    await browse.click();
    await visitor.byTestId('rooms-view').waitFor();
    expect(await visitor.byTestId('rooms-view').locator('h1').textContent()).toBe(lang.title);
    await search(visitor, room.toUpperCase());
    await expect.poll(() => rooms(visitor).count()).toBe(1);
    const row = rooms(visitor).first();
    expect(await row.getAttribute('data-room')).toBe(room);
    expect(await row.getByTestId('room-counts').textContent()).toBe(lang.counts);
    expect(await row.getByTestId('room-join').textContent()).toBe(lang.join);
    await row.getByTestId('room-join').click();
    await expect.poll(() => visitor.byTestId('conversation-title').textContent()).toBe(room);
    await visitor.groupRow(room).waitFor();

    await visitor.type(lang.hello);
    await visitor.expectMessage(lang.hello);
    await owner.expectMessage(lang.hello);
    await owner.page.locator(`[data-testid="member"][data-username="${visitor.name}"]`).waitFor();

    // Back in the directory: the room now counts the visitor, who may open it rather than join.
    await visitor.byTestId('browse-rooms').click();
    await search(visitor, room);
    await expect
      .poll(() => rooms(visitor).first().getByTestId('room-counts').textContent())
      .toBe(lang.countsAfter);
    await rooms(visitor).first().getByTestId('room-open').waitFor();
  });

  it('made private again, the room leaves the directory', async () => {
    await owner.byTestId('room-public').uncheck();
    await expect.poll(() => owner.groupRow(room).textContent()).not.toContain(lang.badge);
    const third = await h.person(h.unique('third'), { locale: lang.locale });
    await third.register();
    await third.byTestId('browse-rooms').click();
    await search(third, room);
    await expect.poll(() => third.byTestId('rooms-empty').textContent()).toBe(lang.noMatch(room));
    expect(await rooms(third).count()).toBe(0);
  });
});
