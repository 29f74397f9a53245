// The methods that write Emails (RFC 8621 §4.6–§4.8) under urn:ietf:params:jmap:mail, and
// Blob/copy (RFC 8620 §6.3) under core. Sets sharing a capability merge (types.ts MethodSet).

import type { MethodSet } from '../types.ts';
import { CORE_CAPABILITY } from '../core-methods.ts';
import { ownAccountOnly } from '../copy-accounts.ts';
import { blobCopyMethod } from '../blob-copy.ts';
import { emailSet } from './email-set.ts';
import { emailImport } from './email-import.ts';
import { emailCopyMethod } from './email-copy.ts';
import { MAIL_CAPABILITY } from './capability.ts';

export const emailWriteMethods: MethodSet = {
  capability: MAIL_CAPABILITY,
  methods: {
    'Email/set': emailSet,
    'Email/import': emailImport,
    'Email/copy': emailCopyMethod(ownAccountOnly),
  },
};

export const blobCopyMethods: MethodSet = {
  capability: CORE_CAPABILITY,
  methods: { 'Blob/copy': blobCopyMethod(ownAccountOnly) },
};
