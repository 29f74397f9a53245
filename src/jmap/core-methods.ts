// urn:ietf:params:jmap:core methods (RFC 8620 §4).

import type { MethodSet } from './types.ts';

export const CORE_CAPABILITY = 'urn:ietf:params:jmap:core';

export const coreMethods: MethodSet = {
  capability: CORE_CAPABILITY,
  methods: {
    /** RFC 8620 §4: answers with the arguments it was given, unchanged. */
    'Core/echo': async (args) => args,
  },
};
