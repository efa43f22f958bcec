/**
 * The emoji picker (emoji-picker-element), imported only when the composer's emoji button is first
 * pressed, so neither its code nor its data is in any earlier download. The emoji data is served
 * from this site (Vite emits the JSON files as assets): no CDN, which would be the default.
 *
 * A plain module rather than a Svelte component on purpose: the Svelte runtime a component would
 * share with the chat chunk gets hoisted into the common chunk, which the sign-in screen loads.
 */
import Picker from 'emoji-picker-element/picker.js';
import zhStrings from 'emoji-picker-element/i18n/zh_CN.js';
import enData from 'emoji-picker-element-data/en/emojibase/data.json?url';
import zhData from 'emoji-picker-element-data/zh/cldr/data.json?url';

/** Shows a picker in `host` in the interface language; returns what removes it. */
export function mountPicker(
  host: HTMLElement,
  lang: 'en' | 'zh-CN',
  onpick: (emoji: string) => void,
): () => void {
  const zh = lang === 'zh-CN';
  const picker = new Picker({
    dataSource: zh ? zhData : enData,
    locale: zh ? 'zh' : 'en',
    ...(zh ? { i18n: zhStrings } : {}),
  });
  picker.dataset.testid = 'emoji-picker';
  picker.addEventListener('emoji-click', (event) => {
    if (event.detail.unicode) onpick(event.detail.unicode);
  });
  host.append(picker);
  // The search box takes the keyboard, as the button promised.
  requestAnimationFrame(() => picker.shadowRoot?.querySelector('input')?.focus());
  return () => picker.remove();
}
