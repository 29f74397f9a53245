// JMAP push (RFC 8620 §7, RFC 8887 §4.3.5) as one service per server: the hub every push
// connection and the push-subscription sender listen to, and the settings.

import type { ChangeBus, MailStore } from '../../store/types.ts';
import type { Logger } from '../../observe/log.ts';
import { PushHub } from './hub.ts';
import type { PushOptions } from './options.ts';
import { PushSubscriptionSender, type FetchLike } from './push-sender.ts';

export interface JmapPush {
  hub: PushHub;
  options: PushOptions;
  sender: PushSubscriptionSender;
}

export function createJmapPush(store: MailStore, bus: ChangeBus, log: Logger, options: PushOptions, fetchImpl?: FetchLike): JmapPush {
  const hub = new PushHub(bus, log);
  return { hub, options, sender: new PushSubscriptionSender(store, hub, options, log, fetchImpl) };
}
