/**
 * The words of the everyday basics (desktop notifications, the emoji picker), in both languages.
 * Kept out of en.ts/zh.ts because those load with the sign-in form and these are needed only
 * after sign-in: this module is part of the chat chunk. The Chinese half is typed by the English,
 * so a missing key fails the type check as in the main dictionaries.
 */
import type { Lang } from './locale.svelte.ts';
import { i18n } from './locale.svelte.ts';

const en = {
  notifyOffer:
    'Get a desktop notification when a message arrives while this tab is in the background?',
  notifyTurnOn: 'Turn on',
  notifyNotNow: 'Not now',
  notifyTitle: 'Notifications',
  notifySetting: 'Desktop notifications for new messages while this tab is in the background',
  notifyDenied:
    'Notifications are blocked for this site in the browser’s settings; allow them there to use this.',
  notifyUnsupported: 'This browser does not show notifications from web pages.',
  emoji: 'Emoji',
  emojiLoading: 'Loading emoji…',
  emojiFailed: 'The emoji picker could not be loaded. Check the connection and try again.',
};

export type BasicsMessages = typeof en;

const zh: BasicsMessages = {
  notifyOffer: '此标签页在后台时，有新消息要弹出桌面通知吗？',
  notifyTurnOn: '开启',
  notifyNotNow: '暂不',
  notifyTitle: '通知',
  notifySetting: '此标签页在后台时，新消息弹出桌面通知',
  notifyDenied: '浏览器设置里已禁止本站的通知；要使用此功能，请先在那里允许。',
  notifyUnsupported: '此浏览器不显示网页的通知。',
  emoji: '表情',
  emojiLoading: '正在加载表情…',
  emojiFailed: '表情选择器未能加载。请检查网络后重试。',
};

const DICTIONARIES: Record<Lang, BasicsMessages> = { en, 'zh-CN': zh };

/** The basics' words in the current language; reactive, as `i18n.t` is. */
export function basicsText(): BasicsMessages {
  return DICTIONARIES[i18n.lang];
}
