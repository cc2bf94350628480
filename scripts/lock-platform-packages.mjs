// The registry this project installs from lacks some packages' binaries for other platforms (Biome's
// macOS, Windows and musl builds answer 404), so `npm install` leaves them out of package-lock.json, and
// npm 11's `npm ci` then rejects the lock as out of sync. This adds each missing optional platform package
// as an entry that npm skips on other platforms. Run it after `npm install` changes the lock:
//   node scripts/lock-platform-packages.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const platform = (name) => {
  const m = /-(android|darwin|linux|win32|freebsd)-(arm64|x64|ia32|arm)(?:-(musl|gnu))?$/.exec(name);
  return m ? { os: [m[1]], cpu: [m[2]], ...(m[3] ? { libc: [m[3]] } : {}) } : null;
};
let added = 0;
for (const [path, pkg] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const target = `node_modules/${name}`;
    const where = platform(name);
    if (lock.packages[target] || !where) continue;
    lock.packages[target] = { version, ...where, ...(pkg.dev ? { dev: true } : {}), optional: true };
    added++;
    void path;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
);
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} platform package entr${added === 1 ? 'y' : 'ies'} added`);
