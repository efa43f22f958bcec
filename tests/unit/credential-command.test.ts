/** The password in a typed `/reg` or `/login` is recognised however it is typed, and never shown. */
import { describe, expect, it } from 'vitest';
import { credentialCommand, MASK } from '../../web/src/state/credential-command.ts';

describe('credentialCommand', () => {
  it('masks the password of /login and /reg, keeping the command and username', () => {
    expect(credentialCommand('/login bob hunter2')).toEqual({
      kind: 'login',
      username: 'bob',
      hasSecret: true,
      shown: `/login bob ${MASK}`,
    });
    expect(credentialCommand('  /REG 小红 "pass word"  ')?.shown).toBe(`/REG 小红 ${MASK}`);
    expect(credentialCommand('reg alice s3cret')?.kind).toBe('reg');
  });

  it('counts a password as started at the space after the username', () => {
    expect(credentialCommand('/login bob')?.hasSecret).toBe(false);
    expect(credentialCommand('/login bob ')?.hasSecret).toBe(true);
    expect(credentialCommand('/login')?.username).toBe('');
  });

  it('still hides a password the lexer refuses (an unclosed quote)', () => {
    const c = credentialCommand('/login bob "hunter2');
    expect(c?.hasSecret).toBe(true);
    expect(c?.shown).not.toContain('hunter2');
    expect(c?.username).toBe('bob');
  });

  it('leaves every other command alone', () => {
    expect(credentialCommand('/send bob my password is x')).toBeNull();
    expect(credentialCommand('hello /login bob x')).toBeNull();
    expect(credentialCommand('')).toBeNull();
    expect(credentialCommand('/logout')).toBeNull();
  });
});
