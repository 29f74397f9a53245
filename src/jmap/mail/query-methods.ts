// The mail capability's query and change methods (RFC 8621 §4.3–§4.5, §5): Email/query,
// Email/queryChanges, Email/changes and SearchSnippet/get. The capability's values, the sort
// options among them, are stated in capability.ts; sets sharing a capability merge.

import type { MethodSet } from '../types.ts';
import { emailChanges, emailQuery, emailQueryChanges } from './email-query.ts';
import { searchSnippetGet } from './search-snippet.ts';
import { MAIL_CAPABILITY } from './capability.ts';

export const mailQueryMethods: MethodSet = {
  capability: MAIL_CAPABILITY,
  methods: {
    'Email/query': emailQuery,
    'Email/queryChanges': emailQueryChanges,
    'Email/changes': emailChanges,
    'SearchSnippet/get': searchSnippetGet,
  },
};
