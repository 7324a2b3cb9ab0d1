/**
 * A first-come, first-served asynchronous lock. The latent worker holds it
 * while `startInstance` or `stopInstance` runs, so the two never overlap.
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  private holders = 0;

  /** Waits for the lock; resolves with the function that releases it (calling it twice is harmless). */
  async acquire(): Promise<() => void> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => { release = resolve; });
    const previous = this.tail;
    this.tail = previous.then(() => released);
    this.holders++;
    await previous;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.holders--;
      release();
    };
  }

  /** True while someone holds the lock or waits for it. */
  get busy(): boolean {
    return this.holders > 0;
  }
}
