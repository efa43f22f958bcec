/** The engine's one outward channel: every state change is an EngineEvent to the subscribers. */
import type { EngineEvent } from './api.ts';

export class Emitter {
  readonly #listeners = new Set<(event: EngineEvent) => void>();

  on(listener: (event: EngineEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  emit(event: EngineEvent): void {
    for (const listener of [...this.#listeners]) {
      // One broken subscriber (a UI bug) must not stop the others or the engine.
      try {
        listener(event);
      } catch (err) {
        console.error('engine listener failed', err);
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}
