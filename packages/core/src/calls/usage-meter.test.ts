import type { UsageV1 } from '@mediaconduit/provider';
import { describe, expect, it } from 'vitest';
import { UsageMeter } from './usage-meter.js';

describe('UsageMeter', () => {
  it('adds usage and cost per registry, provider and model; fields nobody reported stay absent', () => {
    const meter = new UsageMeter();
    const chat = meter.slot('together', 'llama');
    const image = meter.slot('together', 'flux');
    const mock = meter.slot('mock', 'echo');
    meter.add(chat, true, { inputTokens: 5, outputTokens: 7, totalTokens: 12 }, 0.001);
    meter.add(chat, true, { inputTokens: 1, outputTokens: undefined }, undefined);
    meter.add(image, true, { images: 2 }, 0.006);
    meter.add(mock, false, undefined, undefined);
    meter.add(mock, true, { audioSeconds: 1.5, characters: 20 }, undefined);
    const report = meter.report();
    expect(report.byModel['together/llama']).toEqual({ calls: 2, failures: 0, usage: { inputTokens: 6, outputTokens: 7, totalTokens: 12 }, costUsd: 0.001, unpricedCalls: 1 });
    expect(report.byModel['together/flux']).toEqual({ calls: 1, failures: 0, usage: { images: 2 }, costUsd: 0.006, unpricedCalls: 0 });
    expect(report.byProvider.together).toEqual({ calls: 3, failures: 0, usage: { inputTokens: 6, outputTokens: 7, totalTokens: 12, images: 2 }, costUsd: 0.007, unpricedCalls: 1 });
    expect(report.byProvider.mock).toEqual({ calls: 2, failures: 1, usage: { audioSeconds: 1.5, characters: 20 }, costUsd: 0, unpricedCalls: 1 });
    expect(report.total).toMatchObject({ calls: 5, failures: 1, usage: { inputTokens: 6, outputTokens: 7, totalTokens: 12, images: 2, audioSeconds: 1.5, characters: 20 } });
    expect(report.total.costUsd).toBeCloseTo(0.007, 12);
  });

  it("adds up a provider's own numeric usage fields too, and ignores what is not a number", () => {
    const meter = new UsageMeter();
    const slot = meter.slot('p', 'm');
    const own = (cached: unknown) => ({ inputTokens: 2, cachedTokens: cached, note: 'x' }) as unknown as UsageV1;
    meter.add(slot, true, own(3), undefined);
    meter.add(slot, true, own(4), undefined);
    meter.add(slot, true, own('5'), undefined);
    expect(meter.report().byModel['p/m']!.usage).toEqual({ inputTokens: 6, cachedTokens: 7 });
  });

  it('reports copies: changing a report changes nothing kept', () => {
    const meter = new UsageMeter();
    meter.add(meter.slot('p', 'm'), true, { inputTokens: 1 }, 0.5);
    const first = meter.report();
    first.total.usage.inputTokens = 100;
    first.total.calls = 100;
    expect(meter.report().total).toMatchObject({ calls: 1, usage: { inputTokens: 1 } });
  });
});
