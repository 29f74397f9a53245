// Mailbox/set (RFC 8621 §2.5): creates, renames and moves, sort order, role, subscription and
// destroys, each through one store operation that IMAP sees at once (a JMAP rename is IMAP's
// RENAME with its children, so the mailbox keeps its id and UIDVALIDITY).
//
// Every property of a create or update is checked before the store is touched, so a refused
// object changes nothing; the SetErrors are RFC 8621 §2.5's (mailboxHasChild, mailboxHasEmail)
// and RFC 8620 §5.3's (invalidProperties with the properties, notFound, forbidden), and
// alreadyExists for a second sibling of the same name.

import { isDeepStrictEqual } from 'node:util';
import { StoreError, type Mailbox, type SpecialUse } from '../../store/types.ts';
import { isMailboxDescendant, MAILBOX_SEPARATOR, MAX_MAILBOX_NAME_BYTES, normaliseMailboxName } from '../../mail/mailbox-name.ts';
import type { MethodContext, SetError } from '../types.ts';
import { type Args, optionalBoolean } from '../args.ts';
import { checkIfInState, emptySetResponse, readSet, setResponseArgs, type SetResponse } from '../standard.ts';
import { fromJmapId, toAccountId, toJmapId } from '../ids.ts';
import { leafName, MAILBOX_PROPERTIES, parentName, readMailboxes, SERVER_SET_PROPERTIES, specialUseOfRole, toJmapMailbox, type MailboxSnapshot } from './mailbox-object.ts';
import { accountState } from './state.ts';

class Refused extends Error {
  readonly error: SetError;
  constructor(error: SetError) {
    super(error.description ?? error.type);
    this.error = error;
  }
}

const invalid = (properties: string[], description: string): Refused => new Refused({ type: 'invalidProperties', properties, description });

/** RFC 8621 §2 name: at least one character, within maxSizeMailboxName; '/' is our hierarchy separator. */
function checkLeafName(v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw invalid(['name'], 'name must be a non-empty string');
  if (v.includes(MAILBOX_SEPARATOR)) throw invalid(['name'], `a name may not contain "${MAILBOX_SEPARATOR}"`);
  if (Buffer.byteLength(v, 'utf8') > MAX_MAILBOX_NAME_BYTES) throw invalid(['name'], `a name is at most ${MAX_MAILBOX_NAME_BYTES} octets`);
  return v;
}

/** The full store name under a parent, checked by the store's rules (IMAP must be able to name it too). */
function fullName(parent: Mailbox | null, leaf: string): string {
  const full = parent ? parent.name + MAILBOX_SEPARATOR + leaf : leaf;
  try {
    return normaliseMailboxName(full);
  } catch (err) {
    if (err instanceof StoreError && err.code === 'INVALID') throw invalid(['name'], err.message);
    throw err;
  }
}

function checkSortOrder(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v >= 2 ** 31) throw invalid(['sortOrder'], 'sortOrder must be an integer in 0 ≤ n < 2^31');
  return v;
}

function checkBoolean(v: unknown, name: string): boolean {
  if (typeof v !== 'boolean') throw invalid([name], `${name} must be true or false`);
  return v;
}

function checkKnown(obj: Args): void {
  const unknown = Object.keys(obj).filter((k) => !(MAILBOX_PROPERTIES as readonly string[]).includes(k));
  if (unknown.length) throw invalid(unknown, `unknown properties: ${unknown.join(', ')}`);
}

/** A role a client may give: one the store keeps as a special-use attribute, held by no other mailbox. */
async function checkRole(ctx: MethodContext, v: unknown, self: number | null): Promise<SpecialUse | null> {
  if (v === null) return null;
  if (typeof v !== 'string') throw invalid(['role'], 'role must be a string or null');
  if (v === 'inbox') throw invalid(['role'], 'only INBOX has the inbox role');
  const use = specialUseOfRole(v);
  if (!use) throw invalid(['role'], `role "${v}" is not supported`);
  const holder = await ctx.deps.store.getMailboxByRole(ctx.accountId, use);
  // RFC 8621 §2: "there MUST NOT be two Mailboxes in the same account with the same role".
  if (holder && holder.id !== self) throw invalid(['role'], `another mailbox has the role "${v}"`);
  return use;
}

/** A mailbox of this account by JMAP id ("#k" already resolved), or null. */
async function mailboxOf(ctx: MethodContext, id: unknown): Promise<Mailbox | null> {
  const n = fromJmapId('mailbox', id);
  return n === null ? null : ctx.deps.store.getMailboxById(ctx.accountId, n);
}

/** parentId as given: null, an id, or "#creationId" (creating that one first when it is in this call). */
async function parentOf(ctx: MethodContext, v: unknown, createFirst: (cid: string) => Promise<void>): Promise<Mailbox | null> {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') throw invalid(['parentId'], 'parentId must be an id or null');
  let id = v;
  if (v.startsWith('#')) {
    await createFirst(v.slice(1));
    const resolved = ctx.resolveId(v.slice(1));
    if (resolved === null) throw invalid(['parentId'], `no mailbox was created as ${v}`);
    id = resolved;
  }
  const parent = await mailboxOf(ctx, id);
  if (!parent) throw invalid(['parentId'], 'no such mailbox in this account');
  return parent;
}

/**
 * RFC 8621 §2: "There MUST NOT be two sibling Mailboxes with both the same parent and the same
 * name." Refused as RFC 8620's alreadyExists with the existing mailbox's id (as /copy reports it).
 */
async function duplicate(ctx: MethodContext, name: string): Promise<Refused> {
  const existing = await ctx.deps.store.getMailbox(ctx.accountId, name);
  return new Refused({
    type: 'alreadyExists',
    properties: ['name'],
    description: 'a mailbox of this name exists under this parent',
    ...(existing ? { existingId: toJmapId('mailbox', existing.id) } : {}),
  });
}

function storeRefusal(err: unknown, properties: string[]): Refused {
  if (!(err instanceof StoreError)) throw err;
  if (err.code === 'INVALID') return invalid(properties, err.message);
  if (err.code === 'NOT_FOUND') return new Refused({ type: 'notFound', description: err.message });
  if (err.code === 'CANNOT') return new Refused({ type: 'forbidden', description: err.message });
  throw err;
}

async function createAll(ctx: MethodContext, create: Map<string, Args>, res: SetResponse): Promise<void> {
  const started = new Set<string>();
  const createOne = async (cid: string): Promise<void> => {
    if (started.has(cid)) return;
    started.add(cid);
    try {
      const obj = create.get(cid)!;
      checkKnown(obj);
      const serverSet = Object.keys(obj).filter((k) => (SERVER_SET_PROPERTIES as readonly string[]).includes(k));
      if (serverSet.length) throw invalid(serverSet, 'server-set properties cannot be given');
      const leaf = checkLeafName(obj.name);
      const parent = await parentOf(ctx, obj.parentId, async (other) => {
        if (!create.has(other)) return;
        if (started.has(other) && !(other in res.created)) throw invalid(['parentId'], `#${other} is not created (or refers back to this one)`);
        await createOne(other);
      });
      const role = obj.role === undefined ? null : await checkRole(ctx, obj.role, null);
      const sortOrder = obj.sortOrder === undefined ? 0 : checkSortOrder(obj.sortOrder);
      // RFC 8621 §2 isSubscribed: "SHOULD default to … true for any new Mailboxes created by the user themself".
      const subscribed = obj.isSubscribed === undefined ? true : checkBoolean(obj.isSubscribed, 'isSubscribed');
      const name = fullName(parent, leaf);
      let mailbox: Mailbox;
      try {
        mailbox = await ctx.deps.store.createMailbox(ctx.accountId, name, role, { sortOrder, subscribed });
      } catch (err) {
        if (err instanceof StoreError && err.code === 'ALREADY_EXISTS') throw await duplicate(ctx, name);
        throw storeRefusal(err, ['name']);
      }
      const id = toJmapId('mailbox', mailbox.id);
      ctx.recordCreated(cid, id);
      // RFC 8620 §5.3 "created": the server-set properties and those the server chose.
      res.created[cid] = {
        id,
        ...(leafName(mailbox.name) !== leaf ? { name: leafName(mailbox.name) } : {}),
        ...(obj.parentId === undefined ? { parentId: null } : {}),
        ...(obj.role === undefined ? { role: null } : {}),
        ...(obj.sortOrder === undefined ? { sortOrder: 0 } : {}),
        ...(obj.isSubscribed === undefined ? { isSubscribed: true } : {}),
        totalEmails: 0,
        unreadEmails: 0,
        totalThreads: 0,
        unreadThreads: 0,
        myRights: toJmapMailbox(mailbox, emptySnapshot()).myRights,
      };
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      res.notCreated[cid] = err.error;
    }
  };
  for (const cid of create.keys()) await createOne(cid);
}

function emptySnapshot(): MailboxSnapshot {
  return { mailboxes: [], byId: new Map(), byName: new Map(), counts: new Map(), subscribed: new Set(), roles: new Map() };
}

async function updateOne(ctx: MethodContext, id: string, patch: Args, snap: MailboxSnapshot): Promise<Record<string, unknown> | null> {
  const store = ctx.deps.store;
  const mailbox = await mailboxOf(ctx, id);
  if (!mailbox) throw new Refused({ type: 'notFound' });
  checkKnown(patch);
  // Server-set properties may be sent back unchanged (RFC 8620 §5.3), never changed.
  const current = toJmapMailbox(mailbox, snap);
  const changedServerSet = Object.keys(patch).filter(
    (k) => (SERVER_SET_PROPERTIES as readonly string[]).includes(k) && !isDeepStrictEqual(patch[k], current[k]),
  );
  if (changedServerSet.length) throw invalid(changedServerSet, 'server-set properties cannot be changed');
  const isInbox = mailbox.name === 'INBOX';

  // Check everything first: a refused update changes nothing.
  let newName = mailbox.name;
  if (patch.name !== undefined || patch.parentId !== undefined) {
    const leaf = patch.name === undefined ? leafName(mailbox.name) : checkLeafName(patch.name);
    let parent: Mailbox | null;
    if (patch.parentId === undefined) {
      const p = parentName(mailbox.name);
      parent = p === null ? null : await store.getMailbox(ctx.accountId, p);
    } else {
      parent = await parentOf(ctx, patch.parentId, async () => {});
    }
    // RFC 8621 §2: "Mailboxes form acyclic graphs (forests) … There MUST NOT be a loop."
    if (parent && (parent.id === mailbox.id || isMailboxDescendant(parent.name, mailbox.name))) {
      throw invalid(['parentId'], 'a mailbox cannot be moved under itself or its own child');
    }
    newName = fullName(parent, leaf);
    if (newName !== mailbox.name && isInbox) throw new Refused({ type: 'forbidden', description: 'INBOX cannot be renamed or moved' });
  }
  let role: SpecialUse | null | undefined;
  if (patch.role !== undefined && patch.role !== current.role) {
    if (isInbox) throw new Refused({ type: 'forbidden', description: 'the role of INBOX is inbox' });
    role = await checkRole(ctx, patch.role, mailbox.id);
  }
  const sortOrder = patch.sortOrder === undefined ? undefined : checkSortOrder(patch.sortOrder);
  const subscribe = patch.isSubscribed === undefined ? undefined : checkBoolean(patch.isSubscribed, 'isSubscribed');

  if (newName !== mailbox.name) {
    try {
      await store.renameMailbox(ctx.accountId, mailbox.name, newName);
    } catch (err) {
      if (err instanceof StoreError && err.code === 'ALREADY_EXISTS') throw await duplicate(ctx, newName);
      throw storeRefusal(err, ['name', 'parentId']);
    }
  }
  if (role !== undefined || (sortOrder !== undefined && sortOrder !== mailbox.sortOrder)) {
    await store.setMailboxAttributes(ctx.accountId, mailbox.id, { sortOrder, role });
  }
  // Read again: a rename earlier in this call may have moved the subscription with the name.
  if (subscribe !== undefined && subscribe !== (await store.listSubscriptions(ctx.accountId)).includes(newName)) {
    await store.setSubscribed(ctx.accountId, newName, subscribe);
  }
  // The stored name may differ from the one given (NFC): say so (RFC 8620 §5.3 "updated").
  return patch.name !== undefined && leafName(newName) !== patch.name ? { name: leafName(newName) } : null;
}

async function destroyOne(ctx: MethodContext, id: string, removeEmails: boolean): Promise<void> {
  const store = ctx.deps.store;
  const mailbox = await mailboxOf(ctx, id);
  if (!mailbox) throw new Refused({ type: 'notFound' });
  if (mailbox.name === 'INBOX') throw new Refused({ type: 'forbidden', description: 'INBOX cannot be destroyed' });
  const all = await store.listMailboxes(ctx.accountId);
  if (all.some((m) => isMailboxDescendant(m.name, mailbox.name))) {
    throw new Refused({ type: 'mailboxHasChild', description: 'destroy or move its child mailboxes first' });
  }
  // RFC 8621 §2.5: with onDestroyRemoveEmails an Email only here is destroyed and one also in
  // other mailboxes just leaves this one (the store removes this mailbox's messages).
  if (!removeEmails && mailbox.messageCount > mailbox.deletedCount) {
    throw new Refused({ type: 'mailboxHasEmail', description: 'the mailbox has Emails; set onDestroyRemoveEmails to remove them' });
  }
  try {
    await store.deleteMailbox(ctx.accountId, mailbox.name, { onlyIfEmpty: !removeEmails });
  } catch (err) {
    if (err instanceof StoreError && err.code === 'CANNOT') throw new Refused({ type: 'mailboxHasEmail', description: 'an Email arrived in the meantime' });
    if (err instanceof StoreError && err.code === 'HAS_CHILDREN') throw new Refused({ type: 'mailboxHasChild', description: 'a child mailbox was created in the meantime' });
    throw storeRefusal(err, []);
  }
}

/** RFC 8621 §2.5 Mailbox/set: creates, then updates, then destroys (RFC 8620 §5.3). */
export async function mailboxSet(args: Args, ctx: MethodContext): Promise<Args> {
  const req = readSet(args, ctx, ['onDestroyRemoveEmails']);
  const removeEmails = optionalBoolean(args, 'onDestroyRemoveEmails', false);
  const oldState = await accountState(ctx);
  checkIfInState(req.ifInState, oldState);
  const res = emptySetResponse();

  await createAll(ctx, req.create, res);

  if (req.update.size > 0) {
    const snap = await readMailboxes(ctx.deps.store, ctx.accountId);
    for (const [id, patch] of req.update) {
      try {
        res.updated[id] = await updateOne(ctx, id, patch, snap);
      } catch (err) {
        if (!(err instanceof Refused)) throw err;
        res.notUpdated[id] = err.error;
      }
    }
  }

  // Children before parents, so one call can destroy a whole subtree.
  const destroy = [...new Set(req.destroy)];
  const names = new Map<string, string>();
  for (const id of destroy) {
    const m = await mailboxOf(ctx, id);
    if (m) names.set(id, m.name);
  }
  const depthOf = (id: string): number => names.get(id)?.split(MAILBOX_SEPARATOR).length ?? 0;
  destroy.sort((a, b) => depthOf(b) - depthOf(a));
  for (const id of destroy) {
    try {
      await destroyOne(ctx, id, removeEmails);
      res.destroyed.push(id);
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      res.notDestroyed[id] = err.error;
    }
  }

  return setResponseArgs(toAccountId(ctx.accountId), oldState, await accountState(ctx), res);
}
