// The JMAP endpoints as HTTP routes (RFC 8620 §2, §3.1, §6, §7.3), for the web listener.

import type { Route } from '../web/types.ts';
import type { JmapDeps } from './types.ts';
import { JmapApi } from './http-api.ts';
import { jmapMethodSets } from './method-sets.ts';
import { downloadRoute } from './download.ts';

export function jmapRoutes(deps: JmapDeps): Route[] {
  const api = new JmapApi(deps, jmapMethodSets(deps));
  return [api.sessionRoute, api.apiRoute, downloadRoute(deps)];
}
