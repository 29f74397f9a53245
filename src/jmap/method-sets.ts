// Every JMAP capability this server offers, with its methods. A new family is one more entry.

import type { MethodSet } from './types.ts';
import { coreMethods } from './core-methods.ts';
import { emailReadMethods } from './mail/email-read.ts';
import { submissionMethodSet, vacationMethodSet } from './mail/submission-methods.ts';
import { pushSubscriptionMethods } from './push/push-subscription-methods.ts';
import { webSocketCapability } from './push/websocket.ts';

export function jmapMethodSets(): MethodSet[] {
  return [coreMethods, emailReadMethods, submissionMethodSet, vacationMethodSet, pushSubscriptionMethods, webSocketCapability];
}
