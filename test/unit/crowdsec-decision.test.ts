import { describe, expect, it } from 'vitest';
import { crowdsecDecision, decisionFilter, goDuration } from '../../src/core/crowdsec-decision.js';
import { netDecisions, type DecisionChange } from '../../src/core/net-decisions.js';

describe('goDuration', () => {
  it("writes whole seconds as Go's Duration.String does, rounding up", () => {
    // Expected strings are what Go prints for time.Duration(n * time.Second).
    expect(goDuration(30 * 86_400_000 - 1000)).toBe('719h59m59s');
    expect(goDuration(3_600_000)).toBe('1h0m0s');
    expect(goDuration(120_000)).toBe('2m0s');
    expect(goDuration(59_000)).toBe('59s');
    expect(goDuration(59_001)).toBe('1m0s');
    expect(goDuration(1)).toBe('1s');
  });

  it('never says 0s for a listed piece: ipset and nftables read a zero timeout as for ever', () => {
    expect(goDuration(0)).toBe('1s');
    expect(goDuration(-5000)).toBe('1s');
  });
});

describe('crowdsecDecision', () => {
  it('sends a /32 or /128 as scope Ip with the bare address, anything else as Range', () => {
    expect(crowdsecDecision({ id: 7, prefix: '61.4.12.7/32', sources: 'cn-isc hk-ofta' }, '1h0m0s')).toEqual({
      id: 7,
      origin: 'spamx',
      scenario: 'spamx/cn-isc+hk-ofta',
      scope: 'Ip',
      type: 'ban',
      value: '61.4.12.7',
      duration: '1h0m0s',
    });
    expect(crowdsecDecision({ id: 8, prefix: '2400:cb00::1/128', sources: 'jp-dekyo' }, '1s')).toMatchObject({ scope: 'Ip', value: '2400:cb00::1' });
    expect(crowdsecDecision({ id: 9, prefix: '116.31.64.0/24', sources: 'jp-dekyo' }, '1s')).toMatchObject({ scope: 'Range', value: '116.31.64.0/24' });
    expect(crowdsecDecision({ id: 10, prefix: '2400:cb00::/32', sources: null }, '0s')).toMatchObject({ scope: 'Range', scenario: 'spamx' });
  });

  it('filters by scope (any case) and origin only', () => {
    const ip = crowdsecDecision({ id: 1, prefix: '61.4.12.7/32', sources: 'a' }, '1s');
    const range = crowdsecDecision({ id: 2, prefix: '61.4.12.0/24', sources: 'a' }, '1s');
    expect([ip, range].filter(decisionFilter('ip', undefined))).toEqual([ip]);
    expect([ip, range].filter(decisionFilter('Ip,RANGE', 'spamx'))).toEqual([ip, range]);
    expect([ip, range].filter(decisionFilter(undefined, 'crowdsec,cscli'))).toEqual([]);
    expect([ip, range].filter(decisionFilter('', ''))).toEqual([ip, range]);
  });
});

describe('netDecisions', () => {
  const c = (op: DecisionChange['op'], key: string, pieceId: number): DecisionChange => ({ op, key, prefix: `p-${key}`, pieceId, sources: 's' });

  it('sends what was added, deletes what was removed, by the id the client holds', () => {
    const net = netDecisions([c('added', 'a', 1), c('removed', 'b', 2), c('updated', 'd', 4)]);
    expect(net.listed).toEqual([
      { key: 'a', pieceId: 1 },
      { key: 'd', pieceId: 4 },
    ]);
    expect(net.deleted).toEqual([{ id: 2, prefix: 'p-b', sources: 's' }]);
  });

  it('added then removed within the run is nothing; removed then listed again replaces the id', () => {
    expect(netDecisions([c('added', 'a', 1), c('updated', 'a', 1), c('removed', 'a', 1)])).toEqual({ listed: [], deleted: [] });
    const net = netDecisions([c('removed', 'a', 1), c('added', 'a', 5), c('updated', 'a', 5)]);
    expect(net.deleted.map((d) => d.id)).toEqual([1]);
    expect(net.listed).toEqual([{ key: 'a', pieceId: 5 }]);
    // Held before, gone after, with a short life in between: the held id is deleted, once.
    expect(netDecisions([c('removed', 'a', 1), c('added', 'a', 5), c('removed', 'a', 5)]).deleted.map((d) => d.id)).toEqual([1]);
  });
});
