import { Readable } from 'node:stream';
import aedesPersistence from 'aedes-persistence';

/** The part of an aedes persistence this wrapper changes; the rest passes through untouched. */
interface Packet {
  topic: string;
  payload: Buffer;
}

interface Persistence {
  storeRetained(packet: Packet, cb?: (error: Error | null | undefined) => void): unknown;
  createRetainedStreamCombi(patterns: string[]): Readable;
}

// A CommonJS module whose typings declare an ES default export: at run time the import is the factory itself.
const memoryPersistence = aedesPersistence as unknown as () => Persistence;

/**
 * aedes's in-memory persistence with the retained messages also indexed by
 * topic. aedes-persistence 11 answers every SUBSCRIBE by testing each
 * retained message against the filter: with 5,000 boxes that is 10,000 to
 * 15,000 retained messages (status, reported, desired) scanned for each of a box's
 * two exact-topic subscriptions, quadratic in the fleet size, and it held the
 * fleet's whole CPU while a fleet connected (docs/benchmarks.md, Fleet).
 * A box subscribes only to exact topics (BOX_ACL refuses wildcards), so those
 * are looked up by topic; a wildcard filter (the fleet's own) still scans.
 */
export function persistenceWithRetainedIndex(): Persistence {
  const inner = memoryPersistence();
  const byTopic = new Map<string, Packet>();
  const storeRetained = (packet: Packet, cb?: (error: Error | null | undefined) => void): unknown => {
    // The same rule and the same copy as the inner store: an empty payload clears the topic.
    if (packet.payload.length === 0) byTopic.delete(packet.topic);
    else byTopic.set(packet.topic, { ...packet });
    return inner.storeRetained(packet, cb);
  };
  const createRetainedStreamCombi = (patterns: string[]): Readable => {
    if (patterns.some((p) => p.includes('+') || p.includes('#'))) return inner.createRetainedStreamCombi(patterns);
    return Readable.from(patterns.flatMap((p) => byTopic.get(p) ?? []));
  };
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'storeRetained') return storeRetained;
      if (prop === 'createRetainedStreamCombi') return createRetainedStreamCombi;
      const value: unknown = Reflect.get(target, prop, target);
      // Bound: the inner store keeps its state in private fields, which a proxy as `this` cannot reach.
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
