/**
 * The search benchmark's page: History (web/src/core/history.ts) on Chromium's own IndexedDB,
 * filled with generated Chinese/English/mixed history, bundled by bench/suites/search.ts and
 * driven by it through `window.searchPage`. Every figure is taken in the page with
 * performance.now() around one History call, so it is what the UI waits for.
 */
import type { ChatMessage, ConversationId } from '../../web/src/core/api.ts';
import { History } from '../../web/src/core/history.ts';

export interface SearchPage {
  /** A fresh database of `total` messages over `conversations` conversations; ms to write it. */
  fill(total: number, conversations: number): Promise<{ ms: number; conversations: number }>;
  search(q: string): Promise<{ ms: number; hits: number; more: boolean; top: string }>;
  /** Opening a conversation: its newest page (50), as ConversationView.load asks for it. */
  open(i: number): Promise<{ ms: number; messages: number }>;
  /** Opening a search result in context: 25 on each side of a message. */
  around(q: string): Promise<{ ms: number; messages: number }>;
  /** Reopening the database (the conversation list is loaded on open). */
  reopen(): Promise<{ ms: number }>;
}

declare global {
  interface Window {
    searchPage: SearchPage;
  }
}

// Words by how often they appear (a few common, a long tail), so a query can be common or rare.
const ZH = (
  '我们 今天 明天 已经 可以 时候 没有 一下 什么 知道 工作 朋友 时间 开会 吃饭 晚上 周末 电影 ' +
  '天气 下雨 出发 地铁 项目 代码 测试 上线 文档 客户 报告 会议室 机场 火车 咖啡 午饭 医院 ' +
  '学校 图书馆 生日 礼物 照片 旅行 北京 上海 深圳 杭州 成都 公园 散步 跑步 游泳 爬山 音乐 ' +
  '唱歌 画画 小猫 小狗 蛋糕 火锅 饺子 面条 米饭 水果 西瓜 苹果 香蕉 超市 快递 手机 电脑'
).split(' ');
const EN = (
  'the to and you it is we for that on this meeting tomorrow today lunch dinner code review ' +
  'deploy release test build server client bug fix merge branch coffee train flight hotel ' +
  'weekend movie music concert birthday party photo trip beach mountain river garden park ' +
  'walk run swim hike cat dog cake pizza noodles rice apple banana market parcel phone laptop'
).split(' ');

/** A small deterministic generator, so every run writes the same history. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Zipf-like pick: index ~ n * u^3 favours the first words. */
const pick = (words: string[], r: () => number) =>
  words[Math.floor(words.length * r() ** 3)] ?? words[0]!;

function sentence(r: () => number): string {
  const kind = r();
  const n = 4 + Math.floor(r() * 9);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const zh = kind < 0.45 || (kind < 0.75 && r() < 0.5);
    parts.push(zh ? pick(ZH, r) : pick(EN, r));
  }
  // Chinese runs join without spaces, as people write them; English words keep theirs.
  return parts.reduce((acc, w) => {
    const prevZh = /[\u4e00-\u9fff]$/.test(acc);
    const nextZh = /^[\u4e00-\u9fff]/.test(w);
    return acc + (acc && !(prevZh && nextZh) ? ' ' : '') + w;
  }, '');
}

const convId = (i: number): ConversationId => (i % 4 === 3 ? `g:${i + 1}` : `u:friend${i}`);

let history: History | null = null;
let convs = 0;
let searched: ChatMessage | undefined;

window.searchPage = {
  async fill(total, conversations) {
    history?.close();
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.deleteDatabase('p2sp-bench');
      req.onsuccess = () => resolve();
      req.onerror = () => reject(req.error ?? new Error('deleteDatabase failed'));
    });
    history = await History.open('bench', {});
    convs = conversations;
    const r = rng(12);
    const start = Date.UTC(2025, 0, 1);
    const t0 = performance.now();
    const CHUNK = 1_000;
    for (let at = 0; at < total; at += CHUNK) {
      const writes: Promise<boolean>[] = [];
      for (let i = at; i < Math.min(total, at + CHUNK); i++) {
        const c = Math.floor(conversations * r() ** 2);
        const id = convId(c);
        const from = id.startsWith('g:') ? `member${Math.floor(r() * 8)}` : id.slice(2);
        const message: ChatMessage = {
          id: i.toString(16).padStart(32, '0'),
          conversation: id,
          from,
          text: sentence(r),
          // About a message a minute over the year and a half before now.
          sentAt: start + i * 60_000 + Math.floor(r() * 30_000),
        };
        writes.push(history.addReceived(message, from));
      }
      // One batch (group commit) per chunk, as a burst of arriving messages would be.
      await Promise.all(writes);
    }
    return { ms: performance.now() - t0, conversations };
  },
  async search(q) {
    if (!history) throw new Error('fill first');
    const t0 = performance.now();
    const { hits, more } = await history.search(q);
    const ms = performance.now() - t0;
    searched = hits[0]?.message;
    return { ms, hits: hits.length, more: more !== null, top: hits[0]?.message.text ?? '' };
  },
  async open(i) {
    if (!history) throw new Error('fill first');
    const t0 = performance.now();
    const page = await history.page(convId(i % convs), { limit: 50 });
    return { ms: performance.now() - t0, messages: page.length };
  },
  async around(q) {
    if (!history) throw new Error('fill first');
    await window.searchPage.search(q);
    if (!searched) throw new Error(`"${q}" found nothing`);
    const t0 = performance.now();
    const w = await history.around(searched.conversation, searched, 25);
    return { ms: performance.now() - t0, messages: w.messages.length };
  },
  async reopen() {
    history?.close();
    const t0 = performance.now();
    history = await History.open('bench', {});
    return { ms: performance.now() - t0 };
  },
};
