/**
 * web/src/state/routes.ts: the hash URL of each view, and what a typed or pasted hash may name.
 * A hash is anyone's input: what does not parse is no route, never a half-parsed one.
 */
import { describe, expect, it } from 'vitest';
import { MAX_QUERY, parseHash, routeToHash, type Route } from '../../web/src/state/routes.ts';

describe('routes', () => {
  it('round-trips every view, with names and queries escaped', () => {
    const routes: Route[] = [
      { kind: 'home' },
      { kind: 'admin' },
      { kind: 'account' },
      { kind: 'chat', id: 'u:小红' },
      { kind: 'chat', id: 'u:bob' },
      { kind: 'chat', id: 'g:42' },
      { kind: 'chat', id: 'system' },
      { kind: 'search', q: '公园 & park?#/' },
      { kind: 'search', q: '' },
    ];
    for (const route of routes) expect(parseHash(routeToHash(route))).toEqual(route);
    expect(routeToHash({ kind: 'chat', id: 'g:7' })).toBe('#/c/group/7');
    expect(routeToHash({ kind: 'chat', id: 'system' })).toBe('#/c/system');
    // A user named "system" keeps a private chat of their own, not the System conversation.
    expect(parseHash('#/c/private/system')).toEqual({ kind: 'chat', id: 'u:system' });
    expect(routeToHash({ kind: 'search', q: '公园' })).toBe('#/search?q=%E5%85%AC%E5%9B%AD');
  });

  it('names no route for an empty hash, so the app picks where to open', () => {
    expect(parseHash('')).toBeNull();
    expect(parseHash('#')).toBeNull();
    expect(parseHash('#/')).toEqual({ kind: 'home' });
  });

  it('refuses what does not parse', () => {
    for (const bad of [
      '#/c/group/not-a-number',
      '#/c/group/0',
      '#/c/group/-1',
      '#/c/group/1e3',
      '#/c/group/99999999999999999999',
      '#/c/private/',
      '#/c/private/a/b',
      '#/c/private/%E4%B', // a malformed escape
      '#/c/private/a%20b', // a space no username has
      `#/c/private/${'x'.repeat(33)}`,
      '#/c/channel/1',
      '#/admin/users',
      '#javascript:alert(1)',
    ])
      expect(parseHash(bad), bad).toBeNull();
  });

  it('caps a search query taken from a URL', () => {
    const long = parseHash(`#/search?q=${'a'.repeat(5_000)}`);
    expect(long).toEqual({ kind: 'search', q: 'a'.repeat(MAX_QUERY) });
  });
});
