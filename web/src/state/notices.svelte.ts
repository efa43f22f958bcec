/** Local notices: command output and hints shown in a conversation, never sent or stored. */

export interface Notice {
  id: string;
  at: number;
  /** The line the user typed, when the notice answers a command. */
  command?: string;
  lines: string[];
  level: 'info' | 'error';
}

let counter = 0;

export class NoticeLog {
  notices = $state.raw<Notice[]>([]);

  add(notice: Omit<Notice, 'id' | 'at'>): void {
    // The same unprompted notice again (a send refused for the same reason, paging failing at
    // each scroll) moves the one already shown to now rather than stacking copies. A command
    // typed twice is two answers and shows twice.
    const last = this.notices.at(-1);
    if (
      notice.command === undefined &&
      last !== undefined &&
      last.command === undefined &&
      last.level === notice.level &&
      last.lines.join('\n') === notice.lines.join('\n')
    ) {
      this.notices = [...this.notices.slice(0, -1), { ...last, at: Date.now() }];
      return;
    }
    counter += 1;
    // Capped: a long session of commands should not grow without bound.
    this.notices = [...this.notices, { ...notice, id: `notice-${counter}`, at: Date.now() }].slice(
      -50,
    );
  }

  clear(): void {
    this.notices = [];
  }
}
