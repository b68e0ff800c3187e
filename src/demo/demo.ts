import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readEnv } from '../config/env.js';
import { describeError } from '../core/errors.js';
import { DemoCluster, logTail, readCentres, type DemoNode } from './demo-cluster.js';
import { buildScenario, type Scenario } from './demo-data.js';
import { scenarioSteps } from './demo-steps.js';
import { countWord, differences, listsEqual, observe, refusalSummary, renderTable, settled } from './demo-watch.js';

const PEERS_DIR = new URL('../../peers/', import.meta.url);
const SEED = 20261122;
/** Both the publish and the pull schedules: every 10 seconds (node-cron's seconds field). */
const SCHEDULE = '*/10 * * * * *';
const TICK_MS = 5_000;
const ONCE_DEADLINE_MS = 180_000;

/**
 * `spamx demo`: the demo centres of `peers/` as real nodes on this machine, fed with made-up
 * reports through their operator API; prints how the merged lists converge, then runs until
 * Ctrl-C. `--once` (or SPAMX_DEMO_ONCE=1) exits 0 at convergence, 1 if it does not come.
 */
export async function demo(options: { readonly once?: boolean | undefined }): Promise<number> {
  return new DemoRun(options.once === true || readEnv().demoOnce).run();
}

class DemoRun {
  private readonly halt = new AbortController();
  private exitCode = 0;
  private cluster: DemoCluster | undefined;
  private startedAt = Date.now();
  /** When the scenario's last step had been sent; convergence only counts after it. */
  private lastStepAt: number | undefined;

  constructor(private readonly once: boolean) {}

  async run(): Promise<number> {
    const centres = readCentres(PEERS_DIR);
    const scenario = buildScenario(centres.map((c) => c.id), SEED);
    const root = mkdtempSync(join(tmpdir(), 'spamx-demo-'));
    // Ctrl-C is how an interactive demo ends; a --once run interrupted has not converged.
    const onSignal = (signal: NodeJS.Signals) =>
      this.finish(this.once ? 1 : 0, `\n${signal}: stopping the ${countWord(centres.length)} centres…`);
    const killOnExit = () => this.cluster?.killAll();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('exit', killOnExit);
    const deadline = this.once
      ? setTimeout(() => this.finish(1, `not converged within ${ONCE_DEADLINE_MS / 1000} s`), ONCE_DEADLINE_MS)
      : undefined;
    try {
      say(`spamx demo: ${countWord(centres.length)} centres on this machine${this.once ? ' (--once)' : ''}; data in ${root}`);
      say(`  initialising ${centres.map((c) => c.id).join(', ')} (spamx init), pinning each to the others (spamx descriptor, spamx peer add)…`);
      this.cluster = await DemoCluster.create(root, centres, SCHEDULE);
      this.halt.signal.throwIfAborted();
      // Start between two ticks of the 10 s schedules, so no first pull finds a partner not
      // listening yet (a failed pull backs off for 30 s or more).
      const ms = Date.now() % 10_000;
      if (ms < 1_000 || ms > 6_000) await sleep((11_000 - ms) % 10_000, undefined, { signal: this.halt.signal });
      await this.cluster.start(this.halt.signal, (node, code, signal) => this.nodeDied(node, code, signal));
      this.startedAt = Date.now();
      say(`serving (spamx serve; logs in ${join(root, '<id>', 'serve.log')}), publishing and pulling every 10 s:`);
      for (const n of this.cluster.nodes) say(`  ${n.centre.id.padEnd(9)} ${n.url}  ${n.centre.name} (${n.centre.country})`);
      await Promise.all([this.runScenario(scenario, this.cluster.nodes), this.watch(scenario, this.cluster.nodes)]);
    } catch (err) {
      if (!this.halt.signal.aborted) this.finish(1, `demo failed: ${describeError(err)}`);
    } finally {
      clearTimeout(deadline);
      await this.cluster?.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('exit', killOnExit);
      if (this.once) rmSync(root, { recursive: true, force: true });
      else say(`stopped. The centres' data stays in ${root} (rm -rf it when done).`);
    }
    return this.exitCode;
  }

  /** Ends the run (the first call decides the exit status). */
  private finish(code: number, message?: string): void {
    if (this.halt.signal.aborted) return;
    this.exitCode = code;
    this.cluster?.beginStop();
    if (message) (code === 0 ? say : shout)(message);
    this.halt.abort();
  }

  private nodeDied(node: DemoNode, code: number | null, signal: string | null): void {
    this.finish(1, `${node.centre.id} exited unexpectedly (${code ?? signal}); the end of ${node.log}:\n${logTail(node)}`);
  }

  private async runScenario(scenario: Scenario, nodes: readonly DemoNode[]): Promise<void> {
    for (const step of scenarioSteps(scenario, nodes, this.once, say)) {
      const wait = this.startedAt + step.at - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal: this.halt.signal });
      await step.run();
    }
    this.lastStepAt = Date.now();
  }

  /** Every 5 s: the table, and once everything has spread, the convergence check. */
  private async watch(scenario: Scenario, nodes: readonly DemoNode[]): Promise<void> {
    let converged = false;
    let lastTable = '';
    for (;;) {
      await sleep(TICK_MS, undefined, { signal: this.halt.signal });
      let views;
      try {
        views = await observe(nodes);
      } catch (err) {
        this.halt.signal.throwIfAborted();
        say(`  (could not read every node: ${describeError(err).split('\n')[0]})`);
        continue;
      }
      const [when, ...table] = renderTable(views, Date.now() - this.startedAt).split('\n');
      // Once converged, the table is only shown again if something changes.
      if (!converged || table.join('\n') !== lastTable) say(`${when}\n${table.join('\n')}`);
      lastTable = table.join('\n');
      if (converged || this.lastStepAt === undefined || !settled(views) || !listsEqual(views)) continue;
      const wrong = differences(views[0]!.list, scenario.expected);
      if (wrong.length > 0) {
        this.finish(1, `the merged lists agree but not with the reports sent (${wrong.length} differences): ${wrong.slice(0, 10).join(', ')}`);
        return;
      }
      converged = true;
      const after = Math.round((Date.now() - this.lastStepAt) / 1000);
      say(
        `converged: all ${countWord(nodes.length)} centres list ${scenario.expected.length} prefixes ` +
          `(t+${Math.round((Date.now() - this.startedAt) / 1000)}s, ${after} s after the last wave)`,
      );
      say(`refusals the nodes recorded (GET /v1/status store.refusals):\n${refusalSummary(views)}`);
      if (this.once) return this.finish(0);
      say(explore(nodes, scenario));
    }
  }
}

function explore(nodes: readonly DemoNode[], scenario: Scenario): string {
  const lines = ['', 'Explore while it runs (Ctrl-C stops every centre):'];
  for (const n of nodes) {
    lines.push(
      `  ${n.centre.id} (${n.centre.name})`,
      ...['/.well-known/spamx', '/v1/feeds', '/v1/blocklist', `/v1/lookup/${scenario.sampleAddress}`, `/lookup/${scenario.sampleAddress}`].map((p) => `    ${n.url}${p}`),
      `    ${n.url}/ui/   (the console; log in with the token in ${join(n.dir, 'operator.token')})`,
      `    npx spamx status --data ${n.dir}`,
    );
  }
  const [first] = nodes;
  const [plan] = scenario.delists;
  const kept = plan?.alsoListed[0];
  const gone = plan?.onlyHere[0];
  if (first && plan && kept && gone) {
    lines.push(
      `  delisted by ${plan.centre} but still listed by ${kept.by.join(', ')}: ${first.url}/v1/lookup/${addressOf(kept.prefix)}`,
      `  delisted by ${plan.centre}, its only source, so no longer listed:  ${first.url}/v1/lookup/${addressOf(gone)}`,
    );
  }
  lines.push(`  data dir: ${join(nodes[0]!.dir, '..')}`, '');
  return lines.join('\n');
}

/** An address inside the prefix, for `/v1/lookup`. */
const addressOf = (prefix: string): string => prefix.replace(/\/\d+$/, '');

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

function shout(text: string): void {
  process.stderr.write(`${text}\n`);
}
