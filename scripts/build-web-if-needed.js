#!/usr/bin/env node
// Builds the web console (web/ -> web/dist) when the build is missing or older than its sources.
// Run by `npm install` (postinstall) and by `siyu start`; silent when there is nothing to do.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Newest modification time (ms) of a file, or of any file under a directory; 0 when absent. */
function newestMtime(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(join(path, entry.name)));
  }
  return newest;
}

/** Why the console must be built, or null when web/dist is up to date. */
export function staleReason(root = ROOT) {
  const web = join(root, 'web');
  const sources = [
    join(web, 'src'),
    join(web, 'index.html'),
    join(web, 'vite.config.ts'),
    join(web, 'public'),
  ];
  const newestSource = Math.max(...sources.map(newestMtime));
  const built = newestMtime(join(web, 'dist', 'index.html'));
  if (built === 0) {
    if (newestSource === 0) throw new Error(`[siyu] web console sources not found under ${web}`);
    return 'web/dist/index.html is missing';
  }
  if (newestSource > built) return 'web sources changed since the last build';
  return null;
}

/**
 * Builds web/dist with Vite when it is missing or stale. Resolves to true when it built, false when the
 * build was already up to date; rejects when Vite is not installed or the build fails.
 */
export async function buildWebIfNeeded({ root = ROOT } = {}) {
  const reason = staleReason(root);
  if (!reason) return false;

  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(vite)) {
    throw new Error(
      `[siyu] The web console needs building (${reason}), but Vite is not installed (${vite} is missing).\n` +
        '[siyu] Install the dependencies (`npm install`, Vite included), then run `npm run build:web`; ' +
        'or deploy a package that already contains web/dist.',
    );
  }

  console.log(`[siyu] Building the web console (${reason})…`);
  await new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [vite, 'build', '--config', join('web', 'vite.config.ts')], {
      cwd: root,
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`[siyu] Building the web console failed (${signal ?? `exit code ${code}`})`));
    });
  });
  return true;
}

function isMain() {
  if (!process.argv[1]) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  buildWebIfNeeded().then(
    () => process.exit(0),
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
