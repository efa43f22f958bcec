/**
 * The file transfers the UI shows (issue 13), kept current by the engine's 'file' events, and
 * what the UI does with files: send the ones picked, dropped or pasted (with a thumbnail made
 * first for an image, so the other side sees it before the data arrives), and open or save a
 * received one from its stored chunks.
 */
import { SvelteMap } from 'svelte/reactivity';
import type { ChatEngine, ConversationId, FileTransfer } from '../core/api.ts';
import { parseConversation } from '../core/api.ts';
import { m } from '../paraglide/messages.js';

/** Longest side of a thumbnail; its JPEG stays well under the offer frame's thumbnail cap. */
const THUMB_EDGE = 160;
const THUMB_MAX = 40_000;

export class FilesState {
  readonly transfers = new SvelteMap<string, FileTransfer>();
  usage = $state.raw<{ files: number; bytes: number }>({ files: 0, bytes: 0 });
  readonly #off: () => void;

  constructor(private readonly engine: ChatEngine) {
    this.#off = engine.on((event) => {
      if (event.type === 'file') {
        this.transfers.set(event.file.key, event.file);
        if (event.file.state === 'done' || event.file.state === 'cancelled')
          void this.refreshUsage();
      } else if (event.type === 'session' && event.session.phase === 'ready') {
        void this.load();
      } else if (event.type === 'session' && event.session.phase === 'signed-out') {
        this.transfers.clear();
      }
    });
  }

  dispose(): void {
    this.#off();
  }

  async load(): Promise<void> {
    for (const file of await this.engine.files.list()) this.transfers.set(file.key, file);
    await this.refreshUsage();
  }

  async refreshUsage(): Promise<void> {
    this.usage = await this.engine.files.usage();
  }

  forConversation(id: ConversationId): FileTransfer[] {
    return [...this.transfers.values()]
      .filter((f) => f.conversation === id)
      .sort((a, b) => a.sentAt - b.sentAt);
  }

  /** Sends each file; rejects with the first failure (the rest still go). */
  async send(conversation: ConversationId, files: File[]): Promise<void> {
    const target = parseConversation(conversation);
    if (target.kind === 'system') throw new Error(m.conversation_systemClosed());
    let failure: unknown = null;
    for (const file of files) {
      try {
        const thumb = file.type.startsWith('image/') ? await thumbnail(file) : undefined;
        const options = thumb ? { thumb } : {};
        const name = file.name || 'pasted-image.png';
        if (target.kind === 'private')
          await this.engine.files.sendPrivate(target.username, file, name, options);
        else await this.engine.files.sendGroup(target.groupId, file, name, options);
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure) throw failure;
  }

  pause = (key: string) => this.engine.files.pause(key);
  resume = (key: string) => this.engine.files.resume(key);
  cancel = (key: string) => this.engine.files.cancel(key);
  blob = (key: string) => this.engine.files.blob(key);
  resend = (key: string, file: File) => this.engine.files.resend(key, file);

  async remove(key: string): Promise<void> {
    await this.engine.files.remove(key);
    this.transfers.delete(key);
    await this.refreshUsage();
  }

  async clear(): Promise<void> {
    await this.engine.files.clear();
    this.transfers.clear();
    await this.load();
  }
}

/** A small JPEG of an image, as base64, or undefined if the browser cannot decode it. */
async function thumbnail(file: Blob): Promise<{ mime: 'image/jpeg'; data: string } | undefined> {
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, THUMB_EDGE / Math.max(bitmap.width, bitmap.height));
    const canvas = new OffscreenCanvas(
      Math.max(1, Math.round(bitmap.width * scale)),
      Math.max(1, Math.round(bitmap.height * scale)),
    );
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    for (const quality of [0.7, 0.5, 0.3]) {
      const jpeg = await canvas.convertToBlob({ type: 'image/jpeg', quality });
      const data = base64(new Uint8Array(await jpeg.arrayBuffer()));
      if (data.length <= THUMB_MAX) return { mime: 'image/jpeg', data };
    }
  } catch {
    // Not an image this browser decodes: the file goes without a preview.
  }
  return undefined;
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
