// The pause of a background loop (the deriver's, the prover's and the challenger's) that stop() cuts short,
// so a stopping loop does not wait out its poll interval or backoff.

export class WakeableSleep {
  private wakeCurrent: (() => void) | null = null;

  /** Resolves after `ms`, or as soon as wake() is called. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeCurrent = null;
        resolve();
      }, ms);
      this.wakeCurrent = () => {
        clearTimeout(t);
        this.wakeCurrent = null;
        resolve();
      };
    });
  }

  /** Ends the current sleep now (nothing when none runs). */
  wake(): void {
    this.wakeCurrent?.();
  }
}
