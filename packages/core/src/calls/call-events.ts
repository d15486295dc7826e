import type { Capability, MediaConduitError } from '@mediaconduit/provider';
import type { CallRecord } from './call-record.js';

/** Who serves a call. */
export interface CallTarget {
  provider: string;
  model: string;
}

/** The events of model calls, for metrics and tracing. Listeners run synchronously; one that throws is logged and ignored. */
export interface CallEvents {
  /** A call of a model starts (also each model call a fallback chain makes). */
  'call:start': CallTarget & { callId: string; capability: Capability; operation: CallRecord['operation']; time: string };
  /** A call ended, in success or failure: its `call` record; and a chain call that moved on or failed: its `fallback` record. */
  'call:end': { callId: string; record: CallRecord };
  /** An attempt failed and the runtime waits `delayMs` before attempt `attempt + 1`. */
  'call:retry': CallTarget & { callId: string; attempt: number; delayMs: number; error: MediaConduitError };
  /** A chain moves on from one model to the next. */
  'call:fallback': { callId: string; from: CallTarget; to: CallTarget; error: MediaConduitError | undefined; skipped: boolean };
}

export type CallEventName = keyof CallEvents;
export type CallEventListener<E extends CallEventName> = (event: CallEvents[E]) => void;

/** A small typed emitter. `has()` lets hot paths skip building events nobody listens to. */
export class CallEventEmitter {
  private readonly listeners: { [E in CallEventName]?: Set<CallEventListener<E>> } = {};

  constructor(private readonly onListenerError: (error: unknown) => void) {}

  on<E extends CallEventName>(name: E, listener: CallEventListener<E>): () => void {
    const all = this.listeners as Record<CallEventName, Set<CallEventListener<E>> | undefined>;
    let set = all[name];
    if (!set) {
      set = new Set();
      all[name] = set;
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  has(name: CallEventName): boolean {
    return (this.listeners[name]?.size ?? 0) > 0;
  }

  emit<E extends CallEventName>(name: E, event: CallEvents[E]): void {
    const set = this.listeners[name] as Set<CallEventListener<E>> | undefined;
    if (!set) return;
    for (const listener of set) {
      try {
        listener(event);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}
