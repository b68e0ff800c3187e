import { describe, expect, it } from 'vitest';
import { mayServeBatch, recipientsOf, type Requester } from '../../src/core/batch-audience.js';
import { TLP_AMBER, TLP_AMBER_STRICT, TLP_CLEAR, TLP_GREEN, TLP_RED } from '../../src/core/tlp.js';

const SELF = 'jp-dekyo';
const operator: Requester = { kind: 'operator' };
const anyone: Requester = { kind: 'anonymous' };
const partner = (id: string): Requester => ({ kind: 'partner', id });

describe('mayServeBatch: who gets a stored batch', () => {
  it('the operator gets every batch', () => {
    for (const tlp of [TLP_CLEAR, TLP_RED]) {
      expect(mayServeBatch({ publisher: 'cn-isc', tlp, recipients: ['hk-ofta'] }, SELF, operator)).toBe(true);
      expect(mayServeBatch({ publisher: SELF, tlp, recipients: null }, SELF, operator)).toBe(true);
    }
  });

  it('own feed: open clear/green batches to anyone let in; restricted ones to partners only; sealed ones to anyone let in', () => {
    for (const tlp of [TLP_CLEAR, TLP_GREEN]) expect(mayServeBatch({ publisher: SELF, tlp, recipients: null }, SELF, anyone)).toBe(true);
    for (const tlp of [TLP_AMBER, TLP_AMBER_STRICT, TLP_RED]) {
      expect(mayServeBatch({ publisher: SELF, tlp, recipients: null }, SELF, anyone)).toBe(false);
      expect(mayServeBatch({ publisher: SELF, tlp, recipients: null }, SELF, partner('tw-ncc'))).toBe(true);
    }
    expect(mayServeBatch({ publisher: SELF, tlp: TLP_RED, recipients: ['cn-isc'] }, SELF, anyone)).toBe(true);
    expect(mayServeBatch({ publisher: SELF, tlp: TLP_RED, recipients: ['cn-isc'] }, SELF, partner('tw-ncc'))).toBe(true);
  });

  it("mirrored feed: restricted open batches only to their publisher; sealed ones to their recipients and publisher", () => {
    const amber = { publisher: 'cn-isc', tlp: TLP_AMBER, recipients: null };
    expect(mayServeBatch(amber, SELF, partner('tw-ncc'))).toBe(false);
    expect(mayServeBatch(amber, SELF, anyone)).toBe(false);
    expect(mayServeBatch(amber, SELF, partner('cn-isc'))).toBe(true);
    expect(mayServeBatch({ ...amber, tlp: TLP_GREEN }, SELF, anyone)).toBe(true);
    const sealed = { publisher: 'cn-isc', tlp: TLP_GREEN, recipients: ['hk-ofta', 'jp-dekyo'] };
    expect(mayServeBatch(sealed, SELF, partner('hk-ofta'))).toBe(true);
    expect(mayServeBatch(sealed, SELF, partner('cn-isc'))).toBe(true);
    expect(mayServeBatch(sealed, SELF, partner('tw-ncc'))).toBe(false);
    expect(mayServeBatch(sealed, SELF, anyone)).toBe(false);
  });

  it('reads the stored recipients column', () => {
    expect(recipientsOf(null)).toBeNull();
    expect(recipientsOf('')).toBeNull();
    expect(recipientsOf('cn-isc hk-ofta')).toEqual(['cn-isc', 'hk-ofta']);
  });
});
