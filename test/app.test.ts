/**
 * The sample application (app/): its HTTP contract, its graceful shutdown, and its image definition.
 * - the server runs in-process on an ephemeral loopback port: /healthz, /readyz, / and 404;
 * - app/src/main.js runs as the container would (plain node, PORT and SIGTERM) in a child process;
 * - the Dockerfile is parsed: pinned base images, a numeric non-root USER matching the chart's securityContext,
 *   the chart's containerPort exposed, only runtime files copied.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { parse } from 'yaml';
import { NAME, StartedApp, createServer, start } from '../app/src/server';

const ROOT = path.join(__dirname, '..');
const APP_DIR = path.join(ROOT, 'app');
const chartValues = parse(fs.readFileSync(path.join(ROOT, 'charts', 'ai-app', 'values.yaml'), 'utf8')) as {
  containerPort: number;
  probes: { livenessPath: string; readinessPath: string };
  securityContext: { runAsUser: number; runAsGroup: number };
};

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, urlPath: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('app HTTP service', () => {
  let app: StartedApp;
  beforeAll(async () => {
    app = await start({ port: 0, host: '127.0.0.1', version: '0123abc' });
  });
  afterAll(async () => {
    await app.stop();
  });

  test('GET /healthz is 200', async () => {
    const reply = await request(app.port, '/healthz');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ status: 'ok' });
  });

  test('GET /readyz is 200 once listening', async () => {
    expect(app.state.ready).toBe(true);
    expect((await request(app.port, '/readyz')).status).toBe(200);
  });

  test('GET / answers small JSON with the version', async () => {
    const reply = await request(app.port, '/?q=1');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(reply.body)).toEqual({ name: NAME, version: '0123abc' });
  });

  test.each(['/nope', '/healthz/extra', '/favicon.ico'])('GET %s is 404', async (p) => {
    expect((await request(app.port, p)).status).toBe(404);
  });

  test('HEAD works without a body; other methods are 405 with Allow', async () => {
    const head = await request(app.port, '/healthz', 'HEAD');
    expect(head).toMatchObject({ status: 200, body: '' });
    const post = await request(app.port, '/', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  test("the chart's liveness and readiness probe paths are answered 200", async () => {
    expect((await request(app.port, chartValues.probes.livenessPath)).status).toBe(200);
    expect((await request(app.port, chartValues.probes.readinessPath)).status).toBe(200);
  });
});

describe('app lifecycle', () => {
  test('the version comes from APP_VERSION when not given', () => {
    const saved = process.env.APP_VERSION;
    process.env.APP_VERSION = 'from-env';
    try {
      const { server } = createServer();
      const res = { writeHead: jest.fn(), end: jest.fn(), setHeader: jest.fn() };
      server.emit('request', { url: '/', method: 'GET' }, res);
      expect(JSON.parse(res.end.mock.calls[0][0] as string)).toEqual({ name: NAME, version: 'from-env' });
    } finally {
      if (saved === undefined) delete process.env.APP_VERSION;
      else process.env.APP_VERSION = saved;
    }
  });

  test('/readyz is 503 before listening and while stopping; stop closes the server', async () => {
    const { server, state } = createServer();
    const res = { writeHead: jest.fn(), end: jest.fn(), setHeader: jest.fn() };
    server.emit('request', { url: '/readyz', method: 'GET' }, res);
    expect(res.writeHead.mock.calls[0][0]).toBe(503);
    expect(state.ready).toBe(false);

    const app = await start({ port: 0, host: '127.0.0.1' });
    const stopping = app.stop(200);
    expect(app.state.ready).toBe(false);
    // Still accepting connections during the drain delay, but no longer ready.
    expect((await request(app.port, '/readyz')).status).toBe(503);
    expect((await request(app.port, '/healthz')).status).toBe(200);
    await stopping;
    expect(app.server.listening).toBe(false);
  });

  test('main.js under plain node: listens on PORT, exits 0 on SIGTERM after draining', async () => {
    const child = spawn(process.execPath, [path.join(APP_DIR, 'src', 'main.js')], {
      env: { PATH: process.env.PATH, PORT: '0', SHUTDOWN_DELAY_MS: '0', APP_VERSION: 'sigterm-test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Array<Record<string, unknown>> = [];
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const listening = new Promise<number>((resolve, reject) => {
      let buffer = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        for (let i = buffer.indexOf('\n'); i !== -1; i = buffer.indexOf('\n')) {
          const line = JSON.parse(buffer.slice(0, i)) as Record<string, unknown>;
          buffer = buffer.slice(i + 1);
          lines.push(line);
          if (line.message === 'listening') resolve(line.port as number);
        }
      });
      child.on('exit', () => reject(new Error(`exited before listening: ${JSON.stringify(lines)}`)));
    });
    const port = await listening;
    expect(JSON.parse((await request(port, '/')).body)).toEqual({ name: NAME, version: 'sigterm-test' });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lines.map((l) => l.message)).toEqual(['listening', 'shutting down', 'stopped']);
  });
});

/** Dockerfile instructions: line continuations joined, comments and parser directives dropped. */
function dockerInstructions(text: string): Array<{ keyword: string; args: string }> {
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\r?\n/g, ' ');
  return logical
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => {
      const match = /^(\S+)\s*(.*)$/.exec(l) as RegExpExecArray;
      return { keyword: match[1].toUpperCase(), args: match[2] };
    });
}

/** Stages: each FROM and the instructions after it. */
function dockerStages(text: string) {
  const stages: Array<{ image: string; name?: string; instructions: Array<{ keyword: string; args: string }> }> = [];
  for (const ins of dockerInstructions(text)) {
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      stages.push({ image: words[0], name: /^as$/i.test(words[1] ?? '') ? words[2] : undefined, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(ins);
    }
  }
  return stages;
}

/** Problems with a FROM image reference: must carry a version tag or a digest, never `latest`. */
function unpinnedImage(image: string, stageNames: ReadonlySet<string>): string | undefined {
  if (stageNames.has(image)) return undefined; // an earlier stage
  if (image === 'scratch') return undefined;
  const digest = /@sha256:[0-9a-f]{64}$/.test(image);
  const tag = /:([\w][\w.-]{0,127})(?:@sha256:[0-9a-f]{64})?$/.exec(image.replace(/^[^/]+:\d+\//, ''))?.[1];
  if (tag !== undefined && /latest/i.test(tag)) return `${image}: "latest" is not a version`;
  if (digest) return undefined;
  if (tag === undefined) return `${image}: no tag or digest (means latest)`;
  if (!/\d+\.\d+/.test(tag)) return `${image}: tag "${tag}" is not a version (major.minor at least)`;
  return undefined;
}

/** Problems with the final stage's user: must be numeric UID[:GID], not 0. */
function rootUser(user: string | undefined): string | undefined {
  if (user === undefined) return 'final stage has no USER (runs as root)';
  const match = /^(\d+)(?::(\d+))?$/.exec(user);
  if (!match) return `USER ${user}: use a numeric UID[:GID] so Kubernetes runAsNonRoot can verify it`;
  if (Number(match[1]) === 0) return `USER ${user}: UID 0 is root`;
  return undefined;
}

describe('app Dockerfile', () => {
  const text = fs.readFileSync(path.join(APP_DIR, 'Dockerfile'), 'utf8');
  const stages = dockerStages(text);
  const final = stages.at(-1)!;
  const finalUser = final.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args;

  test('is multi-stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
  });

  test('every FROM image is pinned to a version tag or digest, never latest', () => {
    const names = new Set<string>();
    const problems: string[] = [];
    for (const stage of stages) {
      const problem = unpinnedImage(stage.image, names);
      if (problem) problems.push(problem);
      if (stage.name) names.add(stage.name);
    }
    expect(problems).toEqual([]);
    expect(dockerInstructions(text).map((i) => i.args).join('\n')).not.toMatch(/latest/i);
  });

  test('every image from a registry is pinned by digest too, with its version tag for Dependabot and for readers', () => {
    const names = new Set(stages.map((s) => s.name).filter((n): n is string => n !== undefined));
    const external = stages.map((s) => s.image).filter((image) => !names.has(image) && image !== 'scratch');
    expect(external.length).toBeGreaterThan(0);
    for (const image of external) expect(image).toMatch(/^[^@]+:[\w][\w.-]*@sha256:[0-9a-f]{64}$/);
  });

  test('the pin check rejects latest, untagged and non-version tags', () => {
    const none = new Set<string>();
    expect(unpinnedImage('node:latest', none)).toMatch(/latest/);
    expect(unpinnedImage('node', none)).toMatch(/no tag/);
    expect(unpinnedImage('node:lts-alpine', none)).toMatch(/not a version/);
    expect(unpinnedImage('registry.example:5000/node', none)).toMatch(/no tag/);
    expect(unpinnedImage(`node@sha256:${'a'.repeat(64)}`, none)).toBeUndefined();
    expect(unpinnedImage('node:20.20.2-alpine3.23', none)).toBeUndefined();
    expect(unpinnedImage('build', new Set(['build']))).toBeUndefined();
  });

  test('the final stage runs as a numeric non-root user: the UID/GID the chart runs as', () => {
    expect(rootUser(finalUser)).toBeUndefined();
    const { runAsUser, runAsGroup } = chartValues.securityContext;
    expect(finalUser).toBe(`${runAsUser}:${runAsGroup}`);
    // The USER comes after every RUN, so nothing in the final image is installed at runtime as that user.
    const keywords = final.instructions.map((i) => i.keyword);
    expect(keywords.lastIndexOf('RUN')).toBeLessThan(keywords.lastIndexOf('USER'));
  });

  test('the root-user check bites', () => {
    expect(rootUser(undefined)).toMatch(/no USER/);
    expect(rootUser('root')).toMatch(/numeric/);
    expect(rootUser('0:0')).toMatch(/root/);
    expect(rootUser('node')).toMatch(/numeric/);
    expect(rootUser('10001:10001')).toBeUndefined();
  });

  test("exposes the chart's containerPort, which is also the app's default PORT", () => {
    const exposed = final.instructions.filter((i) => i.keyword === 'EXPOSE').map((i) => i.args);
    expect(exposed).toEqual([String(chartValues.containerPort)]);
    expect(fs.readFileSync(path.join(APP_DIR, 'src', 'main.js'), 'utf8')).toContain(`intFromEnv('PORT', ${chartValues.containerPort},`);
  });

  test('the final stage copies the runtime files from the build stage only, and starts node in exec form', () => {
    const copies = final.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD');
    expect(copies.map((c) => c.keyword)).toEqual(['COPY']);
    expect(copies[0].args).toMatch(new RegExp(`^--from=${stages[0].name}\\s`));
    const cmd = final.instructions.filter((i) => i.keyword === 'CMD').at(-1)?.args ?? '';
    expect(JSON.parse(cmd)).toEqual(['node', 'src/main.js']);
  });

  test('.dockerignore keeps everything but package.json and src/ out of the build context', () => {
    const lines = fs
      .readFileSync(path.join(APP_DIR, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines[0]).toBe('*');
    expect(lines.filter((l) => l.startsWith('!'))).toEqual(['!package.json', '!src/', '!src/**']);
    expect(lines).toContain('src/**/*.d.ts');
  });

  test('app/package.json declares no dependencies', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(APP_DIR, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.dependencies).toBeUndefined();
    expect(pkg.devDependencies).toBeUndefined();
    expect(pkg.type).toBe('commonjs');
  });
});
