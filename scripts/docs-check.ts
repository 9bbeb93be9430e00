// What a person sees in the documentation pages. Starts the service as production does (`node src/main.ts`)
// against a stack of its own (a Kafka broker on a free port, a fresh database; both gone again at the end), opens
// /docs and /docs/events in the system's headless Chromium, and fails unless the OpenAPI UI shows
// POST /api/attendance and the event catalogue shows the three topics this service publishes and the two it
// consumes, or when a page fetches anything from another origin (it must work offline), logs an error, or gets
// an error answer. Screenshots go to .local/docs-check/. Run by scripts/docs-check.sh (npm run docs:check).

import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { type BenchStack, serviceEnvironment, startStack } from '../bench/stack.ts';
import { OPERATION_LABELS } from '../src/adapters/http/event-catalogue.ts';
import { consumedTopic, PARTICIPATION_KINDS, publishedTopic, RECORD_KINDS } from '../src/record-kinds/registry.ts';
import { ServiceProcess } from '../testkit/service-process.ts';
import { freePort } from './local-stack/ports.ts';

const repoRoot = resolve(import.meta.dirname, '..');
const outputDir = join(repoRoot, '.local', 'docs-check');
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Wide enough for the catalogue's full layout: at 1536 px and less it hides its sidebar behind a button and
// puts the examples below each message.
const viewport = { width: 1920, height: 1080 };
const PAGE_TIMEOUT_MS = 30_000;
const MAX_SCREENS = 12;

let stack: Promise<BenchStack> | undefined;
let service: ServiceProcess | undefined;
let browser: Browser | undefined;
let cleaning: Promise<void> | undefined;
const failures: string[] = [];
const saw: string[] = [];
const files: string[] = [];
const cleanUp = () => {
  cleaning ??= (async () => {
    await browser?.close().catch(() => undefined);
    await service?.stop().catch(() => undefined);
    // A stack still starting (Ctrl-C during its start) is stopped once it has started.
    await (await stack?.catch(() => undefined))?.dispose().catch(() => undefined);
  })();
  return cleaning;
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the service and the stack`);
    void cleanUp().finally(() => process.exit(130));
  });
}

/**
 * Opens `path` as a person would (screenshots named after `name`), waits until `readyWhen` shows, and lets `read` say what the page shows and
 * what is missing. Also a failure: anything fetched from another origin (the page must work offline), an error
 * answer, a failed request, an error in the console or the page. Screenshots are taken whatever happened.
 */
async function inspect(name: string, path: string, readyWhen: string, read: (page: Page) => Promise<string[]>): Promise<void> {
  if (browser === undefined || service === undefined) throw new Error('the browser and the service run first');
  const origin = new URL(service.baseUrl).origin;
  const page = await browser.newPage();
  await page.setViewport(viewport);
  const problems: string[] = [];
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol === 'data:' || url.origin === origin) return void request.continue();
    problems.push(`fetches ${request.url()} from another origin`);
    return void request.abort();
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} for ${response.url()}`);
  });
  page.on('requestfailed', (request) => {
    if (new URL(request.url()).origin === origin) problems.push(`${request.url()} failed: ${request.failure()?.errorText}`);
  });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error instanceof Error ? error.message : String(error)}`));
  try {
    await page.goto(`${service.baseUrl}${path}`, { waitUntil: 'networkidle0', timeout: PAGE_TIMEOUT_MS });
    await page.waitForSelector(readyWhen, { visible: true, timeout: PAGE_TIMEOUT_MS });
    problems.push(...(await read(page)));
  } catch (error) {
    problems.push(`never showed ${readyWhen}: ${error instanceof Error ? error.message : String(error)}`);
  }
  failures.push(...problems.map((problem) => `${path}: ${problem}`));
  files.push(...(await screenshots(page, name)));
}

/**
 * One screenshot per screenful, as a person scrolls. Not one full-page shot: that resizes the window to the
 * page's height, and the catalogue lays itself out anew for it.
 */
async function screenshots(page: Page, name: string): Promise<string[]> {
  const height = await page.$eval('html', (html) => html.scrollHeight);
  const files: string[] = [];
  for (let screen = 0; screen * viewport.height < height && screen < MAX_SCREENS; screen++) {
    await page.$eval(
      'html',
      (html, top) => {
        html.scrollTop = top;
      },
      screen * viewport.height,
    );
    const file = join(outputDir, `${name}-${screen + 1}.png`);
    await page.screenshot({ path: file });
    files.push(relative(repoRoot, file));
  }
  return files;
}

try {
  await rm(outputDir, { recursive: true, force: true });
  await mkdir(outputDir, { recursive: true });
  // First: a browser that cannot start fails the check before anything else is started.
  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    // Chromium refuses to run as root with its sandbox.
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    // Ctrl-C is handled below, which stops the browser too: puppeteer's own handler would exit at once and leave
    // the stack behind.
    handleSIGINT: false,
    handleSIGTERM: false,
  });
  const runId = `docs_check_${randomBytes(3).toString('hex')}`;
  console.log('starting a Kafka broker, a database and the service...');
  stack = startStack({ databaseServerUrl: process.env.DOCS_CHECK_DATABASE_SERVER_URL ?? 'mysql://root@127.0.0.1:3306', runId });
  const { env, config } = await serviceEnvironment(await stack, { name: runId, overrides: { LOG_LEVEL: 'info' } });
  const port = await freePort();
  service = new ServiceProcess({
    name: 'docs-check',
    entry: join(repoRoot, 'src', 'main.ts'),
    env: { ...process.env, ...env },
    port,
    logFile: join(outputDir, 'service.log'),
  });
  service.spawn();
  await service.waitUntil('ready');

  // The OpenAPI UI: each operation is a summary row with its method and path.
  await inspect('docs', '/docs', '.opblock-summary-path', async (page) => {
    const operations = await page.$$eval('.opblock-summary', (rows) =>
      rows.map(
        (row) =>
          `${row.querySelector('.opblock-summary-method')?.textContent ?? '?'} ${row.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? '?'}`,
      ),
    );
    saw.push(`/docs shows ${operations.length} operations: ${operations.join(', ')}`);
    return operations.includes('POST /api/attendance') ? [] : ['does not show POST /api/attendance'];
  });

  // The event catalogue: each operation is a heading "<label> <topic>", as a person reads it.
  await inspect('events', '/docs/events', '#operations h3', async (page) => {
    const headings = await page.$$eval('#operations h3', (elements) =>
      elements
        .filter((element) => element.checkVisibility())
        .map((element) => (element.textContent ?? '').trim().replace(/\s+/g, ' ')),
    );
    saw.push(`/docs/events shows ${headings.length} operations:`, ...headings.map((heading) => `  ${heading}`));
    // Every kind of record the service knows: a kind added to the registry must show up here too.
    const published = RECORD_KINDS.map((kind) => publishedTopic(kind, config.topics));
    const consumed = PARTICIPATION_KINDS.map((kind) => consumedTopic(kind, config.topics));
    const expected = [
      ...published.map((topic) => `${OPERATION_LABELS.send} ${topic}`),
      ...consumed.map((topic) => `${OPERATION_LABELS.receive} ${topic}`),
    ];
    return expected.filter((heading) => !headings.includes(heading)).map((heading) => `does not show "${heading}"`);
  });
} catch (error) {
  failures.push(`could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  await cleanUp();
}

for (const line of saw) console.log(line);
if (files.length > 0) console.log(`screenshots: ${files.join(' ')}`);
if (failures.length > 0) {
  console.error(`docs:check failed (service log: ${relative(repoRoot, join(outputDir, 'service.log'))}):`);
  for (const failure of failures) console.error(`  - ${failure}`);
  process.exit(1);
}
console.log('docs:check passed: the OpenAPI UI and the event catalogue show what they must, with nothing from elsewhere');
