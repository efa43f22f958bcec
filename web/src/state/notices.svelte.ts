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
