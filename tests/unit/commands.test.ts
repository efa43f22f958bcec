import { describe, it, expect } from 'vitest';
import {
  COMMANDS,
  MAX_COMMAND_LENGTH,
  findCommand,
  isAdminCommand,
  parseCommand,
  tokenize,
  type CommandError,
  type Intent,
  type ParseResult,
} from '../../shared/commands.ts';
import { help } from '../../web/src/core/command-lines.ts';
import { parseErrorText } from '../../web/src/core/commands.ts';
import { CORE_TEXT } from '../../web/src/core/text.ts';

function intentOf(line: string): Intent {
  const r = parseCommand(line);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(line)} to parse, got ${english(r.error)}`);
  return r.intent;
}

/** An error as an English front end words it: the parser itself holds no words, only data. */
const english = (e: CommandError): string => parseErrorText(e, CORE_TEXT.en);

function errorOf(line: string): CommandError {
  const r = parseCommand(line);
  if (r.ok) throw new Error(`expected ${JSON.stringify(line)} to fail, got ${JSON.stringify(r)}`);
  return r.error;
}

const ALL_KINDS: Intent['kind'][] = [
  'reg',
  'login',
  'logout',
  'add',
  'accept',
  'decline',
  'unfriend',
  'friends',
  'newgroup',
  'delgroup',
  'addgroupuser',
  'delgroupuser',
  'leavegroup',
  'groups',
  'acceptgroup',
  'declinegroup',
  'send',
  'sendgroup',
  'status',
  'help',
  'allusers',
  'allgroup',
  'adminsend',
  'adminsendgroup',
  'broadcast',
  'blockuser',
  'unblockuser',
  'blockgroup',
  'unblockgroup',
];

const ADMIN_KINDS: Intent['kind'][] = [
  'allusers',
  'allgroup',
  'adminsend',
  'adminsendgroup',
  'broadcast',
  'blockuser',
  'unblockuser',
  'blockgroup',
  'unblockgroup',
];

describe('parseCommand: every command with correct arguments', () => {
  const cases: [string, Intent][] = [
    ['reg alice s3cret!pw', { kind: 'reg', username: 'alice', password: 's3cret!pw' }],
    ['login alice "pass word"', { kind: 'login', username: 'alice', password: 'pass word' }],
    ['logout', { kind: 'logout' }],
    ['add bob', { kind: 'add', username: 'bob' }],
    ['accept bob', { kind: 'accept', username: 'bob' }],
    ['decline bob', { kind: 'decline', username: 'bob' }],
    ['unfriend bob', { kind: 'unfriend', username: 'bob' }],
    ['delfriend bob', { kind: 'unfriend', username: 'bob' }],
    ['friends', { kind: 'friends' }],
    ['newgroup study', { kind: 'newgroup', name: 'study' }],
    ['newgroup "study group"', { kind: 'newgroup', name: 'study group' }],
    ['delgroup 2', { kind: 'delgroup', group: { number: 2 } }],
    ['addgroupuser 1 carol', { kind: 'addgroupuser', group: { number: 1 }, username: 'carol' }],
    ['delgroupuser 3 carol', { kind: 'delgroupuser', group: { number: 3 }, username: 'carol' }],
    ['leavegroup 4', { kind: 'leavegroup', group: { number: 4 } }],
    ['acceptgroup 2', { kind: 'acceptgroup', invitation: 2 }],
    ['acceptgroup "study group"', { kind: 'acceptgroup', invitation: 'study group' }],
    ['declinegroup １', { kind: 'declinegroup', invitation: 1 }],
    ['declinegroup spam', { kind: 'declinegroup', invitation: 'spam' }],
    ['groups', { kind: 'groups' }],
    ['send bob hi', { kind: 'send', username: 'bob', text: 'hi' }],
    ['.send bob hi there', { kind: 'send', username: 'bob', text: 'hi there' }],
    ['sendgroup 2 hello all', { kind: 'sendgroup', group: 2, text: 'hello all' }],
    ['status online', { kind: 'status', status: 'online' }],
    ['status away', { kind: 'status', status: 'away' }],
    ['status BUSY', { kind: 'status', status: 'busy' }],
    ['help', { kind: 'help' }],
    ['help add', { kind: 'help', command: 'add' }],
    ['help /DelFriend', { kind: 'help', command: 'unfriend' }],
    ['help .send', { kind: 'help', command: 'send' }],
    ['allusers', { kind: 'allusers', onlineOnly: false }],
    ['allusers --online', { kind: 'allusers', onlineOnly: true }],
    ['allusers --ONLINE', { kind: 'allusers', onlineOnly: true }],
    ['allgroup', { kind: 'allgroup' }],
    ['adminsend bob be nice', { kind: 'adminsend', username: 'bob', text: 'be nice' }],
    [
      'adminsendgroup "study group" alice meeting at 5',
      { kind: 'adminsendgroup', group: 'study group', creator: 'alice', text: 'meeting at 5' },
    ],
    ['broadcast server restarts  soon', { kind: 'broadcast', text: 'server restarts  soon' }],
    ['blockuser mallory', { kind: 'blockuser', username: 'mallory' }],
    ['unblockuser mallory', { kind: 'unblockuser', username: 'mallory' }],
    ['blockgroup spam mallory', { kind: 'blockgroup', group: 'spam', creator: 'mallory' }],
    ['unblockgroup spam mallory', { kind: 'unblockgroup', group: 'spam', creator: 'mallory' }],
  ];

  it.each(cases)('%s', (line, expected) => {
    expect(parseCommand(line)).toStrictEqual({ ok: true, intent: expected });
  });

  it('covers every intent kind', () => {
    expect(new Set(cases.map(([, i]) => i.kind))).toStrictEqual(new Set(ALL_KINDS));
  });
});

describe('parseCommand: wrong arity', () => {
  const tooMany = (n: number) =>
    `too many arguments (expected ${n}, got ${n + 1}); put quotes around values that contain spaces`;
  const cases: [string, string, string][] = [
    // [line, command, problem]
    ['reg', 'reg', 'missing <username>'],
    ['reg alice pw extra', 'reg', tooMany(2)],
    ['login', 'login', 'missing <username>'],
    ['login alice pw extra', 'login', tooMany(2)],
    ['logout now', 'logout', 'takes no arguments'],
    ['add', 'add', 'missing <username>'],
    ['add bob carol', 'add', tooMany(1)],
    ['accept', 'accept', 'missing <username>'],
    ['accept bob carol', 'accept', tooMany(1)],
    ['decline', 'decline', 'missing <username>'],
    ['decline bob carol', 'decline', tooMany(1)],
    ['unfriend', 'unfriend', 'missing <username>'],
    ['delfriend bob carol', 'unfriend', tooMany(1)],
    ['friends all', 'friends', 'takes no arguments'],
    ['newgroup', 'newgroup', 'missing <name>'],
    ['newgroup study group', 'newgroup', tooMany(1)],
    ['delgroup', 'delgroup', 'missing <group>'],
    ['delgroup 1 2', 'delgroup', tooMany(1)],
    ['addgroupuser', 'addgroupuser', 'missing <group>'],
    ['addgroupuser 1', 'addgroupuser', 'missing <username>'],
    ['addgroupuser 1 bob carol', 'addgroupuser', tooMany(2)],
    ['delgroupuser', 'delgroupuser', 'missing <group>'],
    ['delgroupuser 1', 'delgroupuser', 'missing <username>'],
    ['delgroupuser 1 bob carol', 'delgroupuser', tooMany(2)],
    ['leavegroup', 'leavegroup', 'missing <group>'],
    ['leavegroup 1 2', 'leavegroup', tooMany(1)],
    ['acceptgroup', 'acceptgroup', 'missing <invitation-number|group-name>'],
    ['acceptgroup 1 2', 'acceptgroup', tooMany(1)],
    ['declinegroup', 'declinegroup', 'missing <invitation-number|group-name>'],
    ['declinegroup 0', 'declinegroup', 'group number must be 1 or greater, got "0"'],
    ['groups mine', 'groups', 'takes no arguments'],
    ['send', 'send', 'missing <username>'],
    ['send bob', 'send', 'missing <message...>'],
    ['.send bob   ', 'send', 'missing <message...>'],
    ['sendgroup', 'sendgroup', 'missing <group-number>'],
    ['sendgroup 1', 'sendgroup', 'missing <message...>'],
    ['status', 'status', 'missing <online|away|busy>'],
    ['status away busy', 'status', tooMany(1)],
    ['help add send', 'help', 'expected at most one command name'],
    ['allusers --online extra', 'allusers', 'unexpected argument "extra"'],
    ['allusers --online --online', 'allusers', '--online given twice'],
    ['allgroup x', 'allgroup', 'takes no arguments'],
    ['adminsend', 'adminsend', 'missing <username>'],
    ['adminsend bob', 'adminsend', 'missing <message...>'],
    ['adminsendgroup', 'adminsendgroup', 'missing <group-name>'],
    ['adminsendgroup g', 'adminsendgroup', 'missing <creator>'],
    ['adminsendgroup g alice', 'adminsendgroup', 'missing <message...>'],
    ['broadcast', 'broadcast', 'missing <message...>'],
    ['blockuser', 'blockuser', 'missing <username>'],
    ['blockuser a b', 'blockuser', tooMany(1)],
    ['unblockuser', 'unblockuser', 'missing <username>'],
    ['unblockuser a b', 'unblockuser', tooMany(1)],
    ['blockgroup', 'blockgroup', 'missing <group-name>'],
    ['blockgroup g', 'blockgroup', 'missing <creator>'],
    ['blockgroup g alice x', 'blockgroup', tooMany(2)],
    ['unblockgroup', 'unblockgroup', 'missing <group-name>'],
    ['unblockgroup g', 'unblockgroup', 'missing <creator>'],
    ['unblockgroup g alice x', 'unblockgroup', tooMany(2)],
  ];

  it.each(cases)('%s', (line, command, problem) => {
    const usage = findCommand(command)?.usage;
    expect(usage).toBeDefined();
    const e = errorOf(line);
    expect(e).toStrictEqual({ code: 'USAGE', command, usage, detail: expect.any(Object) });
    // The detail is the problem as data: it words back to the English.
    expect(CORE_TEXT.en.problem(e.detail!)).toBe(problem);
    expect(english(e)).toBe(`${command}: ${problem}. usage: ${usage}`);
  });

  it('has an arity case for every command', () => {
    expect(new Set(cases.map(([, c]) => c))).toStrictEqual(new Set(ALL_KINDS));
  });

  it('spells out the usage line, e.g. for add', () => {
    expect(english(errorOf('add'))).toBe('add: missing <username>. usage: add <username>');
  });

  const badValues: [string, string][] = [
    // [line, message]: empty usernames, names and passwords
    ['add ""', 'add: <username> must not be empty. usage: add <username>'],
    ["add '  '", 'add: <username> must not be empty. usage: add <username>'],
    ['newgroup ""', 'newgroup: <name> must not be empty. usage: newgroup <name>'],
    ['reg bob ""', 'reg: [password] must not be empty. usage: reg <username> [password]'],
    [
      'blockgroup "" alice',
      'blockgroup: <group-name> must not be empty. usage: blockgroup <group-name> <creator>',
    ],
    // bad status values and unknown allusers flags
    [
      'status sleeping',
      'status: expected one of online, away, busy, got "sleeping". usage: status <online|away|busy>',
    ],
    ['allusers --offline', 'allusers: unknown option "--offline". usage: allusers [--online]'],
    ['allusers -o', 'allusers: unknown option "-o". usage: allusers [--online]'],
    ['allusers online', 'allusers: unexpected argument "online". usage: allusers [--online]'],
  ];

  it.each(badValues)('rejects %j', (line, message) => {
    expect(english(errorOf(line))).toBe(message);
  });

  it('takes a password verbatim otherwise, including spaces only', () => {
    expect(intentOf('reg bob "   "')).toStrictEqual({
      kind: 'reg',
      username: 'bob',
      password: '   ',
    });
  });
});

describe('group numbers', () => {
  const cases: [string, string][] = [
    ['0', 'group number must be 1 or greater, got "0"'],
    ['000', 'group number must be 1 or greater, got "000"'],
    ['-1', 'group number must be positive, got "-1"'],
    ['1.5', 'group number must be a whole number, got "1.5"'],
    ['abc', 'group number must be a positive integer (1, 2, 3, ...), got "abc"'],
    ['1e3', 'group number must be a positive integer (1, 2, 3, ...), got "1e3"'],
    ['0x10', 'group number must be a positive integer (1, 2, 3, ...), got "0x10"'],
    ['Infinity', 'group number must be a positive integer (1, 2, 3, ...), got "Infinity"'],
    ['99999999999999999999', 'group number must be a reasonable size, got "99999999999999999999"'],
  ];

  it.each(cases)('sendgroup %s', (arg, problem) => {
    const e = errorOf(`sendgroup ${arg} hi`);
    expect(e).toStrictEqual({
      code: 'USAGE',
      command: 'sendgroup',
      usage: 'sendgroup <group-number> <message...>',
      detail: { kind: 'groupNumber', rule: expect.any(String), got: JSON.stringify(arg) },
    });
    expect(CORE_TEXT.en.problem(e.detail!)).toBe(problem);
    expect(english(e)).toBe(`sendgroup: ${problem}. usage: sendgroup <group-number> <message...>`);
  });

  it('checks what looks like a number in the commands that also take a name', () => {
    const e = errorOf('delgroup 0');
    expect(e).toStrictEqual({
      code: 'USAGE',
      command: 'delgroup',
      usage: 'delgroup <group>',
      detail: { kind: 'groupNumber', rule: 'atLeastOne', got: '"0"' },
    });
    expect(english(e)).toBe(
      'delgroup: group number must be 1 or greater, got "0". usage: delgroup <group>',
    );
  });

  it.each([
    ['addgroupuser 0 bob', /^addgroupuser: group number must be 1/],
    ['delgroupuser -2 bob', /^delgroupuser: group number must be/],
    ['leavegroup 2.0', /^leavegroup: group number must be a whole/],
    ['delgroup 99999999999999999999', /a reasonable size/],
  ])('checks the number in %j', (line, message) => {
    expect(english(errorOf(line))).toMatch(message);
  });

  it('accepts leading zeros and full-width digits from a Chinese IME', () => {
    expect(intentOf('delgroup 007')).toStrictEqual({ kind: 'delgroup', group: { number: 7 } });
    expect(intentOf('delgroup １２')).toStrictEqual({ kind: 'delgroup', group: { number: 12 } });
  });
});

describe('message text', () => {
  const send = (username: string, text: string): Intent => ({ kind: 'send', username, text });
  const cases: [string, string, Intent][] = [
    // [what it shows, line, intent]
    [
      'preserves inner spacing and trims only the ends',
      'send bob hello   there  ',
      send('bob', 'hello   there'),
    ],
    [
      'preserves inner spacing and trims only the ends',
      '  sendgroup   1    a \t b   ',
      { kind: 'sendgroup', group: 1, text: 'a \t b' },
    ],
    ['uses a single quoted token verbatim', 'send bob "  padded  "', send('bob', '  padded  ')],
    ['uses a single quoted token verbatim', "send bob 'say \\'hi\\''", send('bob', "say 'hi'")],
    [
      'keeps quotes literally in text of more than one token',
      'send bob "a"  "b"',
      send('bob', '"a"  "b"'),
    ],
    [
      'keeps quotes literally in text of more than one token',
      'send bob he said "hi there" twice',
      send('bob', 'he said "hi there" twice'),
    ],
    [
      'treats apostrophes inside words as text',
      "send bob don't   panic, it's fine",
      send('bob', "don't   panic, it's fine"),
    ],
    ['handles Chinese', 'send 小明 你好 世界', send('小明', '你好 世界')],
    ['handles emoji', 'send bob 🎉  party 🎉', send('bob', '🎉  party 🎉')],
    ['handles newlines', 'send bob line one\nline two\n', send('bob', 'line one\nline two')],
    [
      'splits on the full-width space U+3000 but keeps it inside the text',
      'send\u3000小明\u3000你好\u3000\u3000世界\u3000',
      send('小明', '你好\u3000\u3000世界'),
    ],
    ['splits on the full-width space U+3000', 'add\u3000小红', { kind: 'add', username: '小红' }],
    // The rest of the line after every fixed argument, for every text command.
    [
      'takes the rest of the line after the fixed arguments',
      'adminsend bob  a  b ',
      { kind: 'adminsend', username: 'bob', text: 'a  b' },
    ],
    [
      'takes the rest of the line after the fixed arguments',
      'adminsendgroup g alice  a  b ',
      { kind: 'adminsendgroup', group: 'g', creator: 'alice', text: 'a  b' },
    ],
    [
      'takes the rest of the line after the fixed arguments',
      'broadcast "  x  "',
      { kind: 'broadcast', text: '  x  ' },
    ],
  ];

  it.each(cases)('%s: %j', (_what, line, expected) => {
    expect(intentOf(line)).toStrictEqual(expected);
  });

  it('rejects empty text', () => {
    expect(english(errorOf('send bob ""'))).toBe(
      'send: <message...> must not be empty. usage: send <username> <message...>',
    );
    expect(english(errorOf("broadcast '   '"))).toBe(
      'broadcast: <message...> must not be empty. usage: broadcast <message...>',
    );
  });
});

describe('tokenize', () => {
  const cases: [string, string, string[]][] = [
    // [what it shows, input, tokens]
    ['splits on any Unicode whitespace', ' a\tb\u3000c\u00a0d\ne ', ['a', 'b', 'c', 'd', 'e']],
    ['splits on any Unicode whitespace', '', []],
    ['groups with quotes', 'send bob "hello   world"', ['send', 'bob', 'hello   world']],
    ['groups with quotes', `'a b' "c 'd'" 'e "f"'`, ['a b', "c 'd'", 'e "f"']],
    ['handles escapes', '"say \\"hi\\"" \'it\\\'s\'', ['say "hi"', "it's"]],
    // \\ is a backslash; any other backslash is literal, inside quotes or out.
    ['handles escapes', '"C:\\\\" "a\\nb" c\\"d', ['C:\\', 'a\\nb', 'c\\"d']],
    ['handles escapes', '"" \'\'', ['', '']],
    ['only opens a quote at the start of a word', `don't "x"y`, ["don't", 'xy']],
  ];

  it.each(cases)('%s: %j', (_what, input, tokens) => {
    expect(tokenize(input)).toStrictEqual({ ok: true, tokens });
  });

  it.each([
    [
      'send bob "hello',
      'unterminated double quote (") at column 10: add a closing ", or wrap the text in single quotes',
    ],
    [
      "'abc\\'",
      "unterminated single quote (') at column 1: add a closing ', or wrap the text in double quotes",
    ],
  ])('reports unterminated quotes with a column: %j', (input, problem) => {
    const r = tokenize(input);
    expect(r).toStrictEqual({
      ok: false,
      detail: expect.objectContaining({ kind: 'unterminatedQuote' }),
    });
    expect(!r.ok && CORE_TEXT.en.problem(r.detail)).toBe(problem);
  });
});

describe('unterminated quotes in parseCommand', () => {
  it('is a USAGE error naming the command when it is known', () => {
    const e = errorOf('send bob "hello');
    expect(e).toStrictEqual({
      code: 'USAGE',
      command: 'send',
      usage: 'send <username> <message...>',
      detail: { kind: 'unterminatedQuote', quote: '"', column: 10 },
    });
    expect(english(e)).toBe(
      'send: unterminated double quote (") at column 10: add a closing ", or wrap the text in single quotes',
    );
    expect(errorOf("add 'bob").code).toBe('USAGE');
  });

  it('counts emoji as one column', () => {
    expect(english(errorOf('send 🎉 "x'))).toMatch(/at column 8:/);
  });

  it('is a USAGE error without a command when the name itself is unterminated', () => {
    const e = errorOf('"send bob hi');
    expect(e).toStrictEqual({
      code: 'USAGE',
      detail: { kind: 'unterminatedQuote', quote: '"', column: 1 },
    });
    expect(english(e)).toBe(
      'unterminated double quote (") at column 1: add a closing ", or wrap the text in single quotes',
    );
  });
});

describe('command names', () => {
  const cases: [string, string, Intent][] = [
    // [what it shows, line, intent]
    ['accepts an optional leading slash', '/add bob', { kind: 'add', username: 'bob' }],
    [
      'accepts an optional leading slash',
      '/.send bob hi',
      { kind: 'send', username: 'bob', text: 'hi' },
    ],
    ['accepts an optional leading slash', '/groups', { kind: 'groups' }],
    ['is case-insensitive', 'ADD bob', { kind: 'add', username: 'bob' }],
    ['is case-insensitive', '/SeNd Bob Hi', { kind: 'send', username: 'Bob', text: 'Hi' }],
    ['is case-insensitive', '.SEND bob x', { kind: 'send', username: 'bob', text: 'x' }],
    ['is case-insensitive', 'AllUsers --Online', { kind: 'allusers', onlineOnly: true }],
    [
      'folds full-width command names typed with an IME',
      '／ａｄｄ bob',
      { kind: 'add', username: 'bob' },
    ],
    ['ignores surrounding whitespace', ' \t\u3000 friends \n', { kind: 'friends' }],
  ];

  it.each(cases)('%s: %j', (_what, line, expected) => {
    expect(intentOf(line)).toStrictEqual(expected);
  });

  it('treats .send as send', () => {
    expect(parseCommand('.send bob  hi')).toStrictEqual(parseCommand('send bob  hi'));
  });

  it('reports empty lines', () => {
    for (const line of ['', '   ', '\t\n', '\u3000', '/']) {
      expect(parseCommand(line)).toStrictEqual({ ok: false, error: { code: 'EMPTY' } });
    }
    expect(english({ code: 'EMPTY' })).toBe('empty command');
  });

  it('reports a slash without a name', () => {
    const e = errorOf('/ add bob');
    expect(e).toStrictEqual({ code: 'UNKNOWN_COMMAND', command: '' });
    expect(english(e)).toBe('missing command name after "/". Type "help" for a list of commands.');
  });
});

describe('unknown commands', () => {
  it('suggests the closest command within edit distance 2', () => {
    const e = errorOf('snd bob hi');
    expect(e).toStrictEqual({ code: 'UNKNOWN_COMMAND', command: 'snd', suggestion: 'send' });
    expect(english(e)).toBe(
      'unknown command "snd". Did you mean "send"? Type "help" for a list of commands.',
    );
    expect(english(errorOf('/frends'))).toBe(
      'unknown command "/frends". Did you mean "friends"? Type "help" for a list of commands.',
    );
  });

  it.each([
    ['lgoin a b', 'login'],
    ['DELFREIND bob', 'delfriend'],
    ['blockusr x', 'blockuser'],
    // Two edits away is still close enough.
    ['frnds', 'friends'],
    ['sendgrp 1 hi', 'sendgroup'],
  ])('suggests for %j: %s', (line, suggestion) => {
    expect(english(errorOf(line))).toContain(`Did you mean "${suggestion}"?`);
  });

  it('does not suggest anything farther than 2 edits', () => {
    const e = errorOf('xyzzy');
    expect(e).toStrictEqual({ code: 'UNKNOWN_COMMAND', command: 'xyzzy' });
    expect(english(e)).toBe('unknown command "xyzzy". Type "help" for a list of commands.');
    expect(english(errorOf('你好 世界'))).toBe(
      'unknown command "你好". Type "help" for a list of commands.',
    );
  });

  it('shortens and escapes long or odd names in the message', () => {
    const err = errorOf('a'.repeat(500) + '\u0000');
    expect(err.code).toBe('UNKNOWN_COMMAND');
    expect(english(err)).toBe(
      `unknown command "${'a'.repeat(40)}…". Type "help" for a list of commands.`,
    );
    expect(english(errorOf('\u0007beep'))).toBe(
      'unknown command "\\u0007beep". Type "help" for a list of commands.',
    );
  });

  it('reports an unknown command named in help', () => {
    const e = errorOf('help sendd');
    expect(e).toStrictEqual({
      code: 'UNKNOWN_COMMAND',
      command: 'sendd',
      suggestion: 'send',
      within: 'help',
    });
    expect(english(e)).toBe(
      'help: unknown command "sendd". Did you mean "send"? Type "help" for a list of commands.',
    );
  });
});

describe('hostile input', () => {
  it('caps the line length', () => {
    const long = 'send bob ' + 'x'.repeat(MAX_COMMAND_LENGTH);
    expect(MAX_COMMAND_LENGTH).toBe(70_000);
    const e = errorOf(long);
    expect(e).toStrictEqual({ code: 'USAGE', detail: { kind: 'tooLong', max: 70_000 } });
    expect(english(e)).toBe('command too long (at most 70000 characters)');
    const fits = 'send bob ' + 'x'.repeat(MAX_COMMAND_LENGTH - 9);
    expect(intentOf(fits)).toStrictEqual({
      kind: 'send',
      username: 'bob',
      text: 'x'.repeat(MAX_COMMAND_LENGTH - 9),
    });
  });

  it('keeps control characters and lone surrogates without throwing', () => {
    expect(intentOf('send bob a\u0000b\u001bc')).toStrictEqual({
      kind: 'send',
      username: 'bob',
      text: 'a\u0000b\u001bc',
    });
    expect(intentOf('send \ud800 \udfff')).toStrictEqual({
      kind: 'send',
      username: '\ud800',
      text: '\udfff',
    });
  });

  it('survives non-string input from untyped callers', () => {
    const untyped = parseCommand as (x: unknown) => ParseResult;
    expect(untyped(undefined)).toStrictEqual({ ok: false, error: { code: 'EMPTY' } });
    expect(untyped(42).ok).toBe(false);
    expect((tokenize as (x: unknown) => unknown)(null)).toStrictEqual({
      ok: false,
      detail: { kind: 'unparsable' },
    });
  });

  it('never throws on 1,000 random lines and always returns a well-formed result', () => {
    // Deterministic PRNG (mulberry32) so a failure is reproducible.
    let seed = 0x5eed;
    const rand = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const names = COMMANDS.flatMap((c) => [c.name, ...c.aliases, '/' + c.name.toUpperCase()]);
    const pieces = [
      ...names,
      ' ',
      '  ',
      '\t',
      '\n',
      '\u3000',
      '"',
      "'",
      '\\',
      '\\"',
      '0',
      '1',
      '-1',
      '1.5',
      '--online',
      '--',
      '/',
      '.',
      'bob',
      '小明',
      '你好',
      '🎉',
      '\u0000',
      '\u001b',
      '\u200b',
      '\ud800',
      '\udfff',
      '\ufeff',
      'x'.repeat(100),
    ];
    const kinds = new Set(COMMANDS.map((c) => c.name));
    const seen = new Set<string>();
    for (let n = 0; n < 1000; n++) {
      let line = '';
      if (rand() < 0.7) line += pick(names) + ' ';
      const parts = Math.floor(rand() * 12);
      for (let p = 0; p < parts; p++) {
        line += rand() < 0.2 ? String.fromCharCode(Math.floor(rand() * 0x10000)) : pick(pieces);
      }
      let result: ParseResult | undefined;
      expect(() => {
        result = parseCommand(line);
      }, JSON.stringify(line)).not.toThrow();
      expect(result).toBeDefined();
      if (result === undefined) continue;
      if (result.ok) {
        seen.add('ok');
        expect(kinds.has(result.intent.kind)).toBe(true);
        const intent = result.intent as Record<string, unknown>;
        if ('text' in intent) expect(String(intent.text).trim()).not.toBe('');
        if ('username' in intent) expect(String(intent.username).trim()).not.toBe('');
        if ('group' in intent && typeof intent.group === 'number') {
          expect(Number.isSafeInteger(intent.group) && intent.group >= 1).toBe(true);
        }
      } else {
        seen.add(result.error.code);
        expect(['UNKNOWN_COMMAND', 'USAGE', 'EMPTY']).toContain(result.error.code);
        const words = english(result.error);
        expect(words.length).toBeGreaterThan(0);
        expect(words).not.toBe('could not parse that command');
      }
      expect(tokenize(line).ok).toBeTypeOf('boolean');
    }
    // The generator must actually reach every outcome, or the test proves little.
    expect([...seen].sort()).toStrictEqual(['EMPTY', 'UNKNOWN_COMMAND', 'USAGE', 'ok']);
  });
});

describe('COMMANDS, isAdminCommand and help', () => {
  it('lists every intent kind exactly once', () => {
    const names = COMMANDS.map((c) => c.name);
    expect(names).toHaveLength(ALL_KINDS.length);
    expect(new Set(names)).toStrictEqual(new Set(ALL_KINDS));
  });

  it('starts every usage line with the command name', () => {
    for (const c of COMMANDS) expect(c.usage.split(' ')[0]).toBe(c.name);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(COMMANDS)).toBe(true);
    expect(COMMANDS.every((c) => Object.isFrozen(c) && Object.isFrozen(c.aliases))).toBe(true);
  });

  it('flags exactly the admin commands', () => {
    for (const kind of ALL_KINDS) {
      expect(isAdminCommand(kind), kind).toBe(ADMIN_KINDS.includes(kind));
    }
    expect(COMMANDS.filter((c) => c.admin).map((c) => c.name)).toStrictEqual(ADMIN_KINDS);
    expect(isAdminCommand('send')).toBe(false);
    expect(isAdminCommand('blockgroup')).toBe(true);
  });

  it('gives usage and description for every command, by name and by alias, in both languages', () => {
    for (const t of [CORE_TEXT.en, CORE_TEXT.zh]) {
      for (const c of COMMANDS) {
        const lines = [t.helpUsage(c.usage), t.descriptions[c.name]];
        if (c.aliases.length > 0) lines.push(t.helpAliases(c.aliases.join(', ')));
        if (c.admin) lines.push(t.adminOnly);
        expect(help(c.name, false, t)).toStrictEqual(lines);
        expect(help('/' + c.name.toUpperCase(), false, t)).toStrictEqual(lines);
        for (const alias of c.aliases) expect(help(alias, false, t)).toStrictEqual(lines);
      }
    }
    for (const c of COMMANDS) {
      expect(CORE_TEXT.en.descriptions[c.name]).toMatch(/^[A-Z].*\.$/);
      expect(CORE_TEXT.zh.descriptions[c.name]).toMatch(/\p{Script=Han}.*。$/u);
    }
  });

  it('renders exact help text', () => {
    const en = (name: string) => help(name, false, CORE_TEXT.en).join('\n');
    expect(en('add')).toBe('usage: add <username>\nSend a friend request to a user.');
    expect(en('delfriend')).toBe(
      'usage: unfriend <username>\nRemove a user from your friends.\naliases: delfriend',
    );
    expect(en('.send')).toBe(
      'usage: send <username> <message...>\nSend a private message to a user.\naliases: .send',
    );
    expect(en('allusers')).toBe(
      'usage: allusers [--online]\nList all users, or only those online with --online.\nadmin only',
    );
    expect(en('status')).toBe('usage: status <online|away|busy>\nSet your presence status.');
  });

  it('finds no command for unknown names', () => {
    expect(findCommand('nope')).toBeUndefined();
    expect(findCommand('')).toBeUndefined();
    expect(help('nope', false, CORE_TEXT.en)).toStrictEqual([
      'unknown command "nope". Type "help" for a list of commands.',
    ]);
  });
});

describe('the spec forms: reg and login without a password, groups by name', () => {
  // reg <username> leaves the password to the front end (asked twice, without echo).
  const named: [string, Intent][] = [
    ['reg alice', { kind: 'reg', username: 'alice' }],
    ['REG 小明', { kind: 'reg', username: '小明' }],
    ['login alice', { kind: 'login', username: 'alice' }],
    ['login alice pw', { kind: 'login', username: 'alice', password: 'pw' }],
    ['delgroup team', { kind: 'delgroup', group: { name: 'team' } }],
    ['delgroup 学习小组', { kind: 'delgroup', group: { name: '学习小组' } }],
    ['delgroup "study group"', { kind: 'delgroup', group: { name: 'study group' } }],
    [
      'addgroupuser team carol',
      { kind: 'addgroupuser', group: { name: 'team' }, username: 'carol' },
    ],
    [
      'addgroupuser 学习小组 小红',
      { kind: 'addgroupuser', group: { name: '学习小组' }, username: '小红' },
    ],
    [
      'delgroupuser team carol',
      { kind: 'delgroupuser', group: { name: 'team' }, username: 'carol' },
    ],
    ['leavegroup team', { kind: 'leavegroup', group: { name: 'team' } }],
    // Quoted digits are a name: the way to reach a group whose name is a number.
    ['delgroup "2"', { kind: 'delgroup', group: { name: '2' } }],
    ["addgroupuser '7' bob", { kind: 'addgroupuser', group: { name: '7' }, username: 'bob' }],
    // Words that are not numbers at all are names, not malformed numbers.
    ['delgroup 1e3', { kind: 'delgroup', group: { name: '1e3' } }],
    ['delgroup x', { kind: 'delgroup', group: { name: 'x' } }],
  ];
  it.each(named)('%s', (line, expected) => {
    expect(parseCommand(line)).toStrictEqual({ ok: true, intent: expected });
  });

  it('still needs every argument, and refuses an empty name', () => {
    expect(english(errorOf('delgroup'))).toBe('delgroup: missing <group>. usage: delgroup <group>');
    expect(english(errorOf('delgroup ""'))).toBe(
      'delgroup: <group> must not be empty. usage: delgroup <group>',
    );
    expect(english(errorOf('addgroupuser team'))).toBe(
      'addgroupuser: missing <username>. usage: addgroupuser <group> <username>',
    );
    expect(english(errorOf('delgroupuser team a b'))).toMatch(/^delgroupuser: too many arguments/);
    expect(english(errorOf('reg alice pw extra'))).toMatch(/^reg: too many arguments/);
  });

  it("sendgroup keeps the spec's local number only", () => {
    expect(english(errorOf('sendgroup team hi'))).toMatch(/^sendgroup: group number must be/);
  });
});
