/**
 * `npm run playground [-- --port P] [--host H] [--out DIR] [--build-only]`: builds the browser
 * playground (playground/build.ts) and serves it on http://127.0.0.1:8321/ (playground/serve.ts)
 * until Ctrl-C. `--build-only` stops after the build: the folder is a static site to publish.
 */
import { resolve } from 'node:path';
import { buildPlayground, DEFAULT_OUT } from '../playground/build.js';
import { serveStatic } from '../playground/serve.js';

const DEFAULT_PORT = 8321;

function parseArgs(argv: string[]): { port: number; host: string; out: string; buildOnly: boolean } {
  const out = { port: DEFAULT_PORT, host: '127.0.0.1', out: DEFAULT_OUT, buildOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag}: missing value`);
      return v;
    };
    if (flag === '--port') {
      const v = value();
      const port = Number(v);
      if (!/^\d+$/.test(v) || port > 65535) throw new Error(`--port: expected an integer between 0 and 65535, got ${JSON.stringify(v)}`);
      out.port = port;
    } else if (flag === '--host') out.host = value();
    else if (flag === '--out') out.out = resolve(value());
    else if (flag === '--build-only') out.buildOnly = true;
    else throw new Error(`unknown flag ${JSON.stringify(flag)} (expected --port P, --host H, --out DIR, --build-only)`);
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const built = await buildPlayground(args.out);
  const kib = (b: number): string => `${(b / 1024).toFixed(0)} KiB`;
  console.log(`built ${built.outDir}: ${built.files.filter((f) => !f.name.endsWith('.map')).map((f) => `${f.name} ${kib(f.bytes)}`).join(', ')}`);
  console.log(`browser twins: ${built.twins.join(', ')}`);
  if (args.buildOnly) return;
  const server = await serveStatic(built.outDir, { port: args.port, host: args.host });
  console.log(`vmc playground: ${server.url}  (Ctrl-C stops)`);
  const stop = (): void => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(`vmc playground: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(e instanceof Error && /^(--|unknown flag)/.test(e.message) ? 2 : 1);
});
