// Every JMAP capability this server offers, with its methods. A new family is one more entry.

import type { JmapDeps, MethodSet } from './types.ts';
import { coreMethods } from './core-methods.ts';
import { emailReadMethods } from './mail/email-read.ts';
import { submissionMethodSet, vacationMethodSet } from './mail/submission-methods.ts';
import { blobCopyMethods, emailWriteMethods } from './mail/email-write-methods.ts';
import { blobMethods } from './blob-methods.ts';
import { pushSubscriptionMethods } from './push/push-subscription-methods.ts';
import { webSocketCapability } from './push/websocket.ts';
import { mailboxMethods } from './mail/mailbox-methods.ts';
import { threadMethods } from './mail/thread.ts';
import { quotaMethods } from './mail/quota.ts';
import { mailQueryMethods } from './mail/query-methods.ts';

export function jmapMethodSets(deps: JmapDeps): MethodSet[] {
  return [
    coreMethods,
    emailReadMethods,
    emailWriteMethods,
    mailboxMethods(deps.outbound.maxMessageBytes),
    threadMethods,
    quotaMethods,
    submissionMethodSet,
    vacationMethodSet,
    pushSubscriptionMethods,
    webSocketCapability,
    blobCopyMethods,
    blobMethods,
    mailQueryMethods,
  ];
}
