// InProcessChangeBus: per-account delivery, isolation of failing listeners, unsubscribe.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessChangeBus } from '../src/store/change-bus.ts';
import type { ChangeEvent } from '../src/store/types.ts';

const event = (accountId: number, modseq: number): ChangeEvent => ({ accountId, modseq, kinds: ['message-added'], mailboxIds: [1] });

describe('InProcessChangeBus', () => {
  it('delivers to the listeners of the event’s account only', () => {
    const bus = new InProcessChangeBus();
    const a: number[] = [];
    const b: number[] = [];
    bus.subscribe(1, (e) => a.push(e.modseq));
    bus.subscribe(2, (e) => b.push(e.modseq));
    bus.publish(event(1, 5));
    bus.publish(event(2, 7));
    bus.publish(event(3, 9));
    assert.deepEqual(a, [5]);
    assert.deepEqual(b, [7]);
  });

  it('isolates a throwing listener from the others and from the publisher', () => {
    const errors: unknown[] = [];
    const bus = new InProcessChangeBus({ onListenerError: (err) => errors.push(err) });
    const got: number[] = [];
    bus.subscribe(1, () => {
      throw new Error('boom');
    });
    bus.subscribe(1, (e) => got.push(e.modseq));
    assert.doesNotThrow(() => bus.publish(event(1, 3)));
    assert.deepEqual(got, [3]);
    assert.equal(errors.length, 1);
  });

  it('unsubscribes, also from inside a listener, and twice harmlessly', () => {
    const bus = new InProcessChangeBus();
    const got: string[] = [];
    const f = () => got.push('f');
    const un1 = bus.subscribe(1, f);
    const un2 = bus.subscribe(1, f); // same function twice: two subscriptions
    const self: { un?: () => void } = {};
    self.un = bus.subscribe(1, () => {
      got.push('once');
      self.un?.();
    });
    bus.publish(event(1, 1));
    assert.deepEqual(got.sort(), ['f', 'f', 'once']);
    un1();
    un1();
    bus.publish(event(1, 2));
    assert.equal(got.filter((x) => x === 'f').length, 3);
    un2();
    assert.equal(bus.listenerCount(1), 0);
  });
});
