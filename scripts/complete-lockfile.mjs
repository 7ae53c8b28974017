#!/usr/bin/env node
// The npm registry mirror on these machines serves only the Linux x64/arm64 builds of packages that ship one
// binary package per platform (@swc/core-*, @unrs/resolver-binding-*). `npm install` then leaves the other
// platforms' optional packages out of package-lock.json, and `npm ci` refuses the lock as out of sync.
// This adds each missing optional package with its version and the os/cpu/libc its name declares, exactly as
// npm records it from the public registry, so `npm ci` accepts the lock and skips foreign platforms.
// Run after any `npm install` that changes the lock: npm run lock:complete
import { readFileSync, writeFileSync } from 'node:fs';

const OS = ['darwin', 'linux', 'win32', 'freebsd', 'android', 'openharmony', 'sunos', 'netbsd', 'openbsd', 'aix'];
const CPU = ['arm64', 'x64', 'arm', 'ia32', 'ppc64', 'ppc64le', 's390x', 'loong64', 'riscv64', 'mips64el', 'wasm32'];

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.find((p) => CPU.includes(p));
  const libc = parts.some((p) => p.startsWith('musl')) ? 'musl' : parts.some((p) => p.startsWith('gnu')) ? 'glibc' : undefined;
  if (!os || !cpu) throw new Error(`complete-lockfile: cannot tell the platform of optional package ${name}; add it by hand`);
  return { os, cpu, libc };
}

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const added = [];
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (lock.packages[key] || lock.packages[`${path}/node_modules/${dep}`]) continue;
    if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`complete-lockfile: ${dep}@${version} is not an exact version; add it by hand`);
    const { os, cpu, libc } = platformOf(dep);
    lock.packages[key] = { version, cpu: [cpu], ...(entry.dev ? { dev: true } : {}), optional: true, os: [os], ...(libc ? { libc: [libc] } : {}) };
    added.push(`${dep}@${version}`);
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length ? `complete-lockfile: added ${added.length} foreign-platform optional packages` : 'complete-lockfile: nothing to add');
