/**
 * Every word the web UI shows, in English. The Chinese dictionary is typed `Messages`, so a key
 * missing there (or one left over) fails the type check. Usernames, group names and `/` commands
 * are passed in, never translated.
 */
import { LIMITS } from '../../../../shared/limits.ts';

export const en = {
  languageName: 'English',
  language: 'Language',
  loading: 'Loading',
  loadingDots: 'Loading…',
  back: 'Back to conversations',
  dismiss: 'Dismiss',
  cancel: 'Cancel',

  signIn: {
    tagline: 'Private messages go browser to browser.',
    signIn: 'Sign in',
    createAccount: 'Create account',
    createAnAccount: 'Create an account',
    username: 'Username',
    password: 'Password',
    passwordRule: `At least ${LIMITS.passwordMin} characters.`,
    wait: 'Please wait…',
    newHere: 'New here?',
    haveAccount: 'Already have an account?',
    loadFailed: 'The chat could not be downloaded. Check the connection and try again.',
    ended: {
      blocked: 'Your account has been blocked',
      elsewhere: 'You signed in somewhere else',
      network: 'Connection lost',
      logout: 'You signed out',
    },
    /** The line under the title; English shows the engine's or server's own sentence instead. */
    endedBody: null as null | {
      blocked: string;
      elsewhere: string;
      network: string;
      logout: string;
    },
  },

  shell: {
    conversations: 'Conversations',
    reconnecting: 'Reconnecting to the server…',
    loadingAdmin: 'Loading admin tools…',
    adminFailed: (error: string) => `Could not load the admin view: ${error}`,
  },

  sidebar: {
    friends: 'Friends',
    addFriend: 'Add friend',
    addFriendPlaceholder: 'Add a friend by username',
    noFriends: 'No friends yet. Add someone by their username.',
    requestsSent: 'Requests you sent',
    requestSent: 'request sent',
    requestSentTo: (name: string) => `Request sent to ${name}`,
    others: 'Other conversations',
    systemMessages: 'System messages',
    notFriend: 'Not a friend',
    groups: 'Groups',
    newGroup: 'New group',
    newGroupPlaceholder: 'New group name',
    noGroups: 'No groups yet.',
    created: (number: number, name: string) => `Created #${number} ${name}`,
    groupBlocked: 'blocked by an admin',
    createdBy: (creator: string) => `created by ${creator}`,
    online: (online: number, total: number) => `${online}/${total} online`,
    members: (total: number) => `${total} members`,
    you: 'You',
    preview: (who: string, text: string) => `${who}: ${text}`,
    system: 'System',
    unread: ' unread',
  },

  presence: {
    online: 'Online',
    away: 'Away',
    busy: 'Busy',
    offline: 'Offline',
    unknown: 'Unknown',
    unknownHint: 'Presence unknown: reconnecting to the server',
  },

  me: {
    status: 'Your status',
    console: 'Command console',
    account: 'Account and password',
    admin: 'Admin',
    signOut: 'Sign out',
    statusFailed: (error: string) => `Could not change status: ${error}`,
  },

  requests: {
    friendRequests: 'Friend requests',
    accept: 'Accept',
    acceptName: (name: string) => `Accept ${name}`,
    decline: 'Decline',
    declineName: (name: string) => `Decline ${name}`,
    invitations: 'Group invitations',
    invitedBy: (name: string) => `invited by ${name}`,
    join: 'Join',
    joinName: (group: string) => `Join ${group}`,
    declineInvitation: (group: string) => `Decline the invitation to ${group}`,
  },

  home: {
    title: 'Command console',
    welcome: (name: string) => `Welcome, ${name}`,
    introBefore:
      'Pick a conversation, or type a command below. Commands work in every conversation too: start a line with',
    introAfter: '.',
    output: 'Command output',
    placeholder: 'Type a command, e.g. /help',
  },

  conversation: {
    group: (id: number) => `Group ${id}`,
    systemClosed: 'System messages cannot be answered.',
    notFriends: (name: string) => `You are not friends with ${name}.`,
    keyPaused: (name: string) => `Sending is paused until you decide on ${name}'s new key.`,
    notMember: 'You are no longer a member of this group.',
    groupBlocked: 'An admin has blocked this group.',
    removed: (name: string) => `You removed ${name} from your friends.`,
    notSent: (error: string) => `Not sent: ${error}`,
    systemMessages: 'System messages',
    notFriend: 'Not a friend',
    online: (online: number, total: number) => `${online}/${total} online`,
    securityLabel: (name: string) => `Security: safety number with ${name}`,
    safetyVerified: 'Safety number (verified)',
    safety: 'Safety number',
    removeFriendLabel: (name: string) => `Remove ${name} from friends`,
    removeFriend: 'Remove friend',
    members: 'Members',
    confirmRemoveLabel: (name: string) => `Confirm removing ${name}`,
    confirmRemove: (name: string) =>
      `Remove ${name} from your friends? You can no longer message each other until one of you adds the other again.`,
    commandPlaceholder: 'Type a / command',
    messagePlaceholder: (title: string) => `Message ${title}`,
    loadOlderFailed: (error: string) => `Could not load older messages: ${error}`,
  },

  roles: { owner: 'owner', admin: 'admin', member: 'member' },

  composer: {
    stillWorks: (reason: string) => `${reason} Commands starting with / still work.`,
    label: 'Message, or a command starting with /',
    run: 'Run command',
    send: 'Send',
    over: (n: number) => `${n} characters over the limit`,
    commandHint: 'Enter runs the command · /help lists them',
    hint: 'Enter to send · Shift+Enter for a new line · / for commands',
  },

  message: {
    sending: 'Sending…',
    delivered: 'Delivered',
    deliveredSome: (delivered: number, stored: number) =>
      `Delivered to ${delivered}, stored for ${stored}`,
    deliveredTitle: 'The recipient has it (directly, or picked up from the server)',
    stored: 'Stored for later',
    storedTitle: 'Held by the server until the recipient signs in',
    failed: 'Failed',
    failedBecause: (error: string) => `Failed: ${error}`,
    system: (from: string) => `[System message] · ${from}`,
    viaServer: 'via server',
    viaServerTitle: "Arrived through the server's offline store",
  },

  list: {
    label: 'Messages',
    loadingOlder: 'Loading older messages…',
    start: 'Beginning of the conversation',
    failed: (error: string) => `Could not load messages: ${error}`,
    empty: 'No messages yet. Say hello!',
    today: 'Today',
    yesterday: 'Yesterday',
  },

  notice: { onlyYou: 'Only visible to you', usage: (usage: string) => `usage: ${usage}` },

  groupPanel: {
    label: 'Group members',
    members: 'Members',
    close: 'Close members',
    invite: 'Invite to group',
    invitePlaceholder: 'Invite by username',
    invited: (name: string) => `${name} was invited; they join when they accept`,
    you: '(you)',
    keyChangedTitle: (name: string) => `${name}'s security key changed`,
    keyChanged: 'Key changed',
    verifiedTitle: (name: string) => `You verified ${name}'s safety number`,
    verified: 'Verified',
    demoteLabel: (name: string) => `Remove admin role from ${name}`,
    promoteLabel: (name: string) => `Make ${name} a group admin`,
    demote: 'Remove admin',
    promote: 'Make admin',
    kickLabel: (name: string) => `Remove ${name} from the group`,
    kick: 'Remove',
    confirmDelete: (group: string) => `Delete ${group} for everyone?`,
    confirmLeave: (group: string) => `Leave ${group}?`,
    deleteGroup: 'Delete group',
    leaveGroup: 'Leave group',
    leave: 'Leave',
  },

  link: {
    direct: 'Direct (P2P)',
    directHint: 'Messages go straight to their browser.',
    connecting: 'Connecting…',
    connectingHint: 'Opening a direct connection.',
    stored: 'Stored for later',
    storedHint: 'No direct connection: the server keeps messages until they can receive them.',
    // --- conversation header (issue 12) ---
    server: 'Via server',
    serverHint:
      'Online, but no direct connection could be opened: the server keeps messages until one can.',
    offline: 'Offline',
    offlineHint: 'Offline: the server keeps messages until they sign in.',
  },

  account: {
    title: 'Account',
    languageHint: 'The app follows your browser until you choose here.',
  },

  password: {
    title: 'Change password',
    intro:
      'Your key backup is encrypted with your password, so it is re-encrypted with the new one: signing in on a new device then restores your messages with the new password.',
    old: 'Current password',
    next: 'New password',
    confirm: 'Repeat the new password',
    rule: `At least ${LIMITS.passwordMin} characters.`,
    tooShort: `The new password is too short: it needs at least ${LIMITS.passwordMin} characters.`,
    tooLong: `The new password is too long: at most ${LIMITS.passwordMax} characters.`,
    mismatch: 'The two new passwords do not match.',
    same: 'The new password is the same as the current one.',
    submit: 'Change password',
    busy: 'Changing…',
    changed: 'Password changed; your key backup was re-encrypted with it',
  },

  banners: {
    changed: (name: string) =>
      `${name}'s security key changed. This happens when ${name} signs in on a new device without their key backup — or if someone is trying to intercept your messages. Compare safety numbers before you continue.`,
    loudTitle: (name: string) => `Warning: ${name}'s verified security key changed`,
    changedLoud: (name: string) =>
      `You had compared safety numbers with ${name}, and now the server shows a different key. Someone may be trying to intercept your messages. Compare the new safety number with ${name} in person or over a call before you accept it.`,
    refusedMeanwhile: (name: string) =>
      `Meanwhile a connection from ${name} was refused: it was not signed with the key you have for them.`,
    refused: (name: string, reason: string) =>
      `A connection claiming to be ${name} was refused: ${reason}. Someone may be trying to intercept; compare your safety number with ${name}.`,
    refusedTitle: 'Connection refused',
    compare: 'Compare',
    accept: 'Accept new key',
    keyChangedToast: (name: string) =>
      `${name}'s security key changed. Open your conversation with them to compare safety numbers.`,
  },

  safety: {
    title: 'Safety number',
    close: 'Close safety number',
    verified: 'Verified',
    notVerified: 'Not verified',
    changed: 'Key changed',
    explain: (name: string) =>
      `Compare these numbers with ${name} in person or over a call. If they match, your messages are end-to-end encrypted to the right person.`,
    explainChanged: (name: string) =>
      `${name}'s security key changed. This is the safety number with the new key: compare it with ${name} in person or over a call before you accept it.`,
    verifiedNote: (name: string) =>
      `You compared this number with ${name}. If their key changes, you will be warned loudly.`,
    noKey: (name: string) =>
      `There is no safety number yet: ${name} has not published a security key. It appears once they sign in with this app.`,
    markVerified: 'Mark as verified',
    unmark: 'Verified ✓ — unmark',
    accept: 'Accept new key',
    acceptNote: 'Once you accept it, you can compare and verify the new number.',
  },

  app: {
    conversationsFailed: (error: string) => `Could not load conversations: ${error}`,
  },

  admin: {
    title: 'Administration',
    refresh: 'Refresh',
    users: 'Users',
    usersOnline: (total: number, online: number) => `${total} · ${online} online`,
    onlineOnly: 'Online only',
    adminTag: 'admin',
    blockedTag: 'blocked',
    block: 'Block',
    unblock: 'Unblock',
    blockUser: (name: string) => `Block ${name}`,
    unblockUser: (name: string) => `Unblock ${name}`,
    blockGroup: (name: string) => `Block group ${name}`,
    unblockGroup: (name: string) => `Unblock group ${name}`,
    noUsers: 'No users.',
    groups: 'Groups',
    groupLine: (creator: string, online: number, total: number) =>
      `by ${creator} · ${online}/${total} online`,
    noGroups: 'No groups.',
    log: 'Admin log',
    logEmpty: 'Nothing yet.',
    compose: 'System message',
    sendTo: 'Send to',
    toUser: 'A user',
    toGroup: 'A group',
    toEveryone: 'Everyone',
    username: 'Username',
    group: 'Group',
    chooseGroup: 'Choose a group',
    groupOption: (name: string, creator: string) => `${name} (by ${creator})`,
    message: 'Message',
    sent: 'Sent.',
    broadcast: 'Broadcast',
    send: 'Send',
  },

  // --- search of local history (search view, results opened in context) ---
  search: {
    open: 'Search messages',
    title: 'Search',
    label: 'Search all conversations',
    placeholder: 'Search messages in this browser',
    hint: 'Searches the history stored in this browser, in every conversation.',
    searching: 'Searching…',
    none: (q: string) => `No messages match “${q}”.`,
    failed: (error: string) => `Search failed: ${error}`,
    /** `more`: older matches follow, so these are the newest, not all. */
    count: (n: number, more: boolean) =>
      more ? `The newest ${n} matches` : n === 1 ? '1 message' : `${n} messages`,
    more: 'Show older matches',
    loadingMore: 'Searching older messages…',
    loading: 'Loading search…',
    loadFailed: (error: string) => `Search could not be loaded: ${error}`,
    loadingNewer: 'Loading newer messages…',
    loadNewerFailed: (error: string) => `Could not load newer messages: ${error}`,
    latest: 'Jump to the latest',
    found: 'Found by search',
  },

  // --- walkthrough fixes (issue 12) ---
  walkthrough: {
    passwordHidden: (shown: string) => `Password hidden · Enter runs ${shown}`,
    switchAccount: (kind: 'reg' | 'login', from: string, to: string) =>
      kind === 'reg'
        ? `This signs ${from} out and creates the account ${to}. Continue?`
        : `This signs ${from} out and signs in as ${to}. Continue?`,
    switchConfirm: 'Switch account',
    disabledHint: 'Only / commands work here · /help lists them',
    kickConfirm: (name: string) => `Remove ${name} from the group?`,
    blockConfirm: (name: string) =>
      `Block ${name}? They are signed out and cannot sign in until unblocked.`,
    leftNewOwner: (group: string, owner: string) => `You left ${group}. ${owner} owns it now.`,
    leftDeleted: (group: string) =>
      `You left ${group}. You were its last member, so it is deleted.`,
    examples: 'Examples: click one to put it in the box',
    exampleTitle: (command: string) => `Put ${command} in the box`,
  },

  // --- rooms (public groups, issue 12) ---
  rooms: {
    browse: 'Browse rooms',
    title: 'Rooms',
    intro:
      'Public groups anyone can join. Messages in a room go browser to browser, as in any group.',
    search: 'Search rooms',
    searchPlaceholder: 'Search rooms by name',
    list: 'Public rooms',
    loading: 'Loading rooms…',
    empty: 'No public rooms yet. A group owner can make a group public from its members panel.',
    noMatch: (query: string) => `No room matches “${query}”.`,
    by: (creator: string) => `by ${creator}`,
    counts: (online: number, total: number) =>
      `${online} online · ${total} ${total === 1 ? 'member' : 'members'}`,
    join: 'Join',
    joinLabel: (name: string) => `Join ${name}`,
    open: 'Open',
    openLabel: (name: string) => `Open ${name}`,
    joined: (name: string) => `You joined ${name}`,
    gone: 'This room is no longer open to join.',
    more: 'Show more',
    failed: (error: string) => `Could not load the rooms: ${error}`,
    viewFailed: (error: string) => `Could not load the rooms view: ${error}`,
    publicSwitch: 'Public room',
    publicHint: 'Listed in Rooms: anyone can join without an invitation, up to the member cap.',
    nowPublic: (name: string) => `${name} is now a public room`,
    nowPrivate: (name: string) => `${name} is private again`,
    badge: 'public',
  },

  // --- files (issue 13) ---
  files: {
    attach: 'Attach files',
    dropHere: 'Drop files to send them',
    title: 'Files',
    size: (size: string) => size,
    sentTo: (name: string) => `to ${name}`,
    from: (name: string) => `from ${name}`,
    progress: (done: string, total: string) => `${done} of ${total}`,
    speed: (rate: string) => `${rate}/s`,
    left: (time: string) => `${time} left`,
    pause: 'Pause',
    resume: 'Resume',
    cancel: 'Cancel transfer',
    save: 'Save',
    open: 'Open full size',
    remove: 'Remove from this device',
    states: {
      offered: 'Waiting for the other side',
      moving: 'Transferring',
      paused: 'Paused',
      pausedByPeer: (name: string) => `Paused by ${name}`,
      waiting: 'Waiting for the connection',
      verifying: 'Checking',
      done: 'Done',
      cancelled: 'Cancelled',
      failed: 'Failed',
      offline: 'Offline',
      interrupted: 'Interrupted: this page was reloaded, so the file is no longer open here',
      waitingForFile: (name: string) => `Waiting for ${name} to pick the file again`,
    },
    sendAgain: 'Send again',
    sendAgainHint: (name: string) =>
      `Pick ${name} again: the other side keeps what it has and gets only the rest`,
    notSameFile: (name: string) => `That is not ${name}: pick the same file again.`,
    notSent: (why: string) => `The file was not sent: ${why}`,
    stored: (count: number, size: string) =>
      `${count} ${count === 1 ? 'file' : 'files'} kept on this device (${size})`,
    clear: 'Clear stored files',
    cleared: 'Stored files cleared.',
  },

  // --- group events (issue 12) ---
  groupEvents: {
    joined: (name: string) => `${name} joined`,
    left: (name: string) => `${name} left`,
    removed: (by: string, name: string) => `${by} removed ${name}`,
    owner: (name: string) => `${name} is now the owner`,
    madeAdmin: (by: string, name: string) => `${by} made ${name} an admin`,
    madeMember: (by: string, name: string) => `${by} made ${name} a member`,
    youRemoved: (by: string) => `${by} removed you`,
    youLeft: 'You left the group',
    deleted: (by: string) => `${by} deleted the group`,
    blocked: 'An admin blocked this group',
    unblocked: 'An admin unblocked this group',
    you: 'you',
    endedRemoved: (by: string) => `${by} removed you from this group. Its history stays here.`,
    endedLeft: 'You left this group. Its history stays here.',
    endedDeleted: (by: string) => `${by} deleted this group. Its history stays here.`,
    ended: 'ended',
    endedGroups: 'Ended groups',
  },
  // --- new browser note (issue 12) ---
  historyNote: {
    text: 'Your message history lives in each browser, not on the server. This browser has none for this account yet: messages you send and receive here are kept here, and other browsers keep their own.',
    ok: 'Got it',
  },
  // --- retry / delete of a failed message (issue 12) ---
  retry: {
    actions: 'What to do with this message',
    retry: 'Retry',
    retryTitle: 'Send this message again',
    delete: 'Delete',
    deleteTitle: 'Delete this message from this browser',
    confirm: 'Delete it from this browser? A copy that did arrive is not taken back.',
    confirmDelete: 'Delete',
    retryFailed: (error: string) => `Could not send it again: ${error}`,
    deleteFailed: (error: string) => `Could not delete it: ${error}`,
  },

  // --- typing indicators and read receipts (issue 12) ---
  typingReads: {
    typingOne: (name: string) => `${name} is typing…`,
    /** In a private chat, under the friend's name: the name would say it twice (and not fit a phone). */
    typingPeer: 'typing…',
    typingTwo: (a: string, b: string) => `${a} and ${b} are typing…`,
    typingMany: (n: number) => `${n} people are typing…`,
    read: 'Read',
    readTitle: 'They have seen it in the open conversation',
    /** A group message of mine: how many members have seen it, and (on hover) who. */
    readBy: (n: number) => `Read by ${n}`,
    readByTitle: (names: string[]) => `Seen by ${names.join(', ')}`,
    settingTitle: 'Read receipts',
    setting: 'Send read receipts',
    settingHint:
      "When this is off, the people you chat with don't see when you have read their messages, and you don't see when they have read yours.",
  },

  // --- system messages in their own conversation (issue 12) ---
  systemInbox: {
    title: 'System messages',
    sub: 'From the administrators · read-only',
    closed: 'System messages come from the administrators and cannot be answered here.',
    toAll: 'broadcast to everyone',
    toGroup: (name: string) => `to the group ${name}`,
    toMe: 'to you',
  },
};

export type Messages = typeof en;
