/**
 * The read-receipts setting (issue 12), remembered in this browser. Off means both ways: the
 * engine sends none and ignores those that arrive, as chat apps do, so no one sees receipts
 * from someone they withhold their own from.
 */
import type { ChatEngine } from '../core/api.ts';

const SETTING_KEY = 'p2sp.read-receipts';

function read(): string | null {
  try {
    return localStorage.getItem(SETTING_KEY);
  } catch {
    return null; // no storage (Node tests, a refusing private mode): the default
  }
}

export class ReadReceiptsSetting {
  enabled = $state(read() !== 'off');

  constructor(private readonly engine: ChatEngine) {
    // Before any sign-in, so the first conversation opened already follows the setting.
    engine.setReadReceipts(this.enabled);
  }

  set(on: boolean): void {
    this.enabled = on;
    this.engine.setReadReceipts(on);
    try {
      localStorage.setItem(SETTING_KEY, on ? 'on' : 'off');
    } catch {
      // Not remembered across reloads; this page still follows it.
    }
  }
}
