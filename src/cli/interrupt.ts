/**
 * Ctrl-C (and SIGTERM) for long commands: the first signal sets `signal.stop`, so the work ends
 * after its current step and saves what it has; a second one exits at once (code 130).
 */
export async function withInterrupt<T>(onFirst: string, work: (signal: { stop: boolean }) => Promise<T>): Promise<T> {
  const signal = { stop: false };
  let interrupts = 0;
  const onSignal = (): void => {
    interrupts += 1;
    if (interrupts > 1) {
      process.stderr.write('\nvmc: interrupted twice, exiting without saving\n');
      process.exit(130);
    }
    signal.stop = true;
    process.stderr.write(`\nvmc: ${onFirst} (Ctrl-C again to abort)\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
