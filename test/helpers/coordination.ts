// A node's view of a shared Coordination backend that can be cut off: while isCutOff() says so,
// every call fails, as it would for a node that died or lost the network.

import type { Coordination } from '../../src/store/coordination-types.ts';

export function cutOffWhen(backend: Coordination, isCutOff: () => boolean): Coordination {
  return new Proxy(backend, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => (isCutOff() ? Promise.reject(new Error('this node cannot reach the backend')) : value.apply(target, args));
    },
  });
}
