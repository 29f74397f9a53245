// The JMAP endpoints for the web listener (RFC 8620 §2, §3.1, §6, §7.3; RFC 8887): HTTP routes,
// and the upgrade handler for WebSocket. Made once per server and shared by its listeners, so
// the push connection limits and the hub are the server's.

import type { Route, UpgradeHandler } from '../web/types.ts';
import type { PlaintextPolicy } from '../web/plaintext-guard.ts';
import type { JmapDeps } from './types.ts';
import { JmapApi } from './http-api.ts';
import { jmapMethodSets } from './method-sets.ts';
import { downloadRoute } from './download.ts';
import { UploadEndpoint } from './upload.ts';
import { PushConnections } from './push/connections.ts';
import { eventSourceRoute, type PushServices } from './push/event-source.ts';
import { JmapWebSocket } from './push/websocket.ts';

export interface JmapEndpoints {
  routes: Route[];
  upgrade: UpgradeHandler;
}

/** `plaintext`: the plain HTTP listener's rule, which WebSocket upgrades bypass the route list to ask (src/web/plaintext-guard.ts). */
export function jmapEndpoints(deps: JmapDeps, plaintext: PlaintextPolicy): JmapEndpoints {
  const api = new JmapApi(deps, jmapMethodSets(deps));
  const { hub, options, sender } = deps.push;
  const push: PushServices = {
    hub,
    options,
    connections: new PushConnections({ perAccount: options.maxConnectionsPerAccount, total: options.maxConnections }),
    store: deps.store,
    log: deps.log,
  };
  const webSocket = new JmapWebSocket(api, push, deps.limits, plaintext);
  sender.start();
  return {
    routes: [api.sessionRoute, api.apiRoute, downloadRoute(deps), new UploadEndpoint(deps).route, eventSourceRoute(push)],
    upgrade: {
      upgrade: (req, socket, head, ctx) => webSocket.upgrade(req, socket, head, ctx),
      closeAll: () => {
        push.connections.closeAll();
        sender.stop();
      },
    },
  };
}
