// The one way the local stack stops: parts register how to stop as they start, and stop() runs
// those in reverse order (the router before the proxy before the database), once. Later calls
// wait for the first; a part that fails to stop does not keep the others running.

export type StopFn = () => Promise<void> | void;

export class Stopper {
  private readonly parts: { name: string; stop: StopFn }[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly onError: (name: string, error: unknown) => void = () => {}) {}

  /** Registers a part; one registered after stop() began is stopped at once. */
  defer(name: string, stop: StopFn): void {
    if (this.stopping) {
      void this.stopping.then(() => this.stopOne({ name, stop }));
      return;
    }
    this.parts.push({ name, stop });
  }

  get stopped(): boolean {
    return this.stopping !== undefined;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const part of this.parts.splice(0).reverse()) await this.stopOne(part);
    })();
    return this.stopping;
  }

  private async stopOne(part: { name: string; stop: StopFn }): Promise<void> {
    try {
      await part.stop();
    } catch (error) {
      this.onError(part.name, error);
    }
  }
}
