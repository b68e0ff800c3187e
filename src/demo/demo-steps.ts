import type { ReportAnswer } from './demo-api.js';
import type { DemoNode } from './demo-cluster.js';
import { BAD_LINES, DELIST_AFTER_WAVE, reportText, WAVE_COUNT, type Scenario } from './demo-data.js';

export interface Step {
  /** When to send it, in ms after the nodes are up. */
  readonly at: number;
  readonly run: () => Promise<void>;
}

/**
 * The scenario as a timeline: a wave of reports at the start and more later, delistings in
 * between. Interactive runs space them out so the table shows each spreading; `--once`
 * sends them seconds apart, and publishes each at once instead of waiting for the schedule.
 */
export function scenarioSteps(scenario: Scenario, nodes: readonly DemoNode[], once: boolean, say: (text: string) => void): Step[] {
  const waveAt = once ? [0, 3_000, 9_000] : [0, 20_000, 40_000];
  const delistAt = once ? 6_000 : 30_000;
  const steps: Step[] = [];
  for (let w = 0; w < WAVE_COUNT; w++) {
    steps.push({ at: waveAt[w] ?? w * 20_000, run: () => sendWave(scenario, nodes, w, say) });
    if (w + 1 === DELIST_AFTER_WAVE) steps.push({ at: delistAt, run: () => sendDelists(scenario, nodes, say) });
  }
  if (!once) return steps;
  return steps.map((s) => ({ at: s.at, run: async () => (await s.run(), await publishNow(nodes, say)) }));
}

async function sendWave(scenario: Scenario, nodes: readonly DemoNode[], w: number, say: (text: string) => void): Promise<void> {
  const first = w === 0;
  const answers = await Promise.all(
    nodes.map((n) => n.api!.report(reportText(n.centre.id, w + 1, scenario.waves.get(n.centre.id)![w]!, first))),
  );
  say(
    `wave ${w + 1}/${WAVE_COUNT}: POST /v1/reports to each centre — accepted ` +
      nodes.map((n, i) => `${n.centre.id} ${answers[i]!.accepted}`).join(', '),
  );
  if (!first) return;
  // Show once, in full, what a node says about the bad lines; for the others, that they agree.
  const [head, ...rest] = answers;
  say(`  ${nodes[0]!.centre.id} refused ${head!.refused.length} of the lines it was sent:`);
  for (const r of head!.refused) {
    const why = BAD_LINES.find(([line]) => line === r.text)?.[1] ?? '';
    say(`    line ${r.line} ${JSON.stringify(r.text).padEnd(18)} ${r.code.padEnd(23)} ${r.reason}${why ? `  [${why}]` : ''}`);
  }
  for (const [i, answer] of rest.entries()) say(`  ${nodes[i + 1]!.centre.id} refused ${answer.refused.length}: ${codes(answer)}`);
}

async function sendDelists(scenario: Scenario, nodes: readonly DemoNode[], say: (text: string) => void): Promise<void> {
  for (const plan of scenario.delists) {
    const node = nodes.find((n) => n.centre.id === plan.centre)!;
    const prefixes = [...plan.alsoListed.map((a) => a.prefix), ...plan.onlyHere];
    const answer = await node.api!.delist(prefixes, 'false-positive');
    say(`${plan.centre} delists ${answer.accepted} prefixes as false positives (POST /v1/delist):`);
    say(`  also listed by others, so they stay listed: ${plan.alsoListed.map((a) => `${a.prefix} (${a.by.join(', ')})`).join(', ')}`);
    say(`  listed by ${plan.centre} alone, so they leave every list: ${plan.onlyHere.join(', ')}`);
  }
}

async function publishNow(nodes: readonly DemoNode[], say: (text: string) => void): Promise<void> {
  const answers = await Promise.all(nodes.map((n) => n.api!.publish()));
  const cut = answers.map((a, i) => `${nodes[i]!.centre.id} ${a.batches.map((b) => `#${b.seq}`).join(' ') || '-'}`);
  say(`  published now (--once; pulls still wait for the 10 s schedule): ${cut.join(', ')}`);
}

function codes(answer: ReportAnswer): string {
  const counts = new Map<string, number>();
  for (const r of answer.refused) counts.set(r.code, (counts.get(r.code) ?? 0) + 1);
  return [...counts].map(([code, n]) => `${code}=${n}`).join(' ');
}
