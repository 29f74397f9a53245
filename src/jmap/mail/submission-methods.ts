// The submission and vacation-response capabilities (RFC 8621 §1.3.4, §1.3.5) and their
// methods: Identity and EmailSubmission (§6, §7), VacationResponse (§8).

import type { MethodSet } from '../types.ts';
import { identityMethods } from './identity.ts';
import { submissionReadMethods } from './submission-get.ts';
import { setSubmissions } from './submission-set.ts';
import { VACATION_CAPABILITY, vacationMethods } from './vacation.ts';

export const SUBMISSION_CAPABILITY = 'urn:ietf:params:jmap:submission';

export const submissionMethodSet: MethodSet = {
  capability: SUBMISSION_CAPABILITY,
  methods: { ...identityMethods, ...submissionReadMethods, 'EmailSubmission/set': setSubmissions },
  sessionCapability: {},
  // Sending is immediate (no delayed send) and no SMTP extension parameters are taken.
  accountCapability: () => ({ maxDelayedSend: 0, submissionExtensions: {} }),
};

export const vacationMethodSet: MethodSet = {
  capability: VACATION_CAPABILITY,
  methods: vacationMethods,
  sessionCapability: {},
  accountCapability: () => ({}),
};
