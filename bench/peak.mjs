/**
 * The machine's fp32 peak, derived from /proc/cpuinfo: cores x FLOP/cycle x clock. FLOP/cycle
 * per core is 2 FMA pipes x (16 lanes with AVX-512, 8 with AVX2+FMA, 4 with SSE) x 2 (an FMA is
 * a multiply and an add). The clock is the reported current MHz, so turbo can exceed it.
 * Returns null off Linux.
 */
import { existsSync, readFileSync } from 'node:fs';

export function fp32Peak() {
  if (!existsSync('/proc/cpuinfo')) return null;
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(info)?.[1] ?? '').split(/\s+/));
  const mhz = Number(/^cpu MHz\s*:\s*([\d.]+)/m.exec(info)?.[1] ?? NaN);
  if (!Number.isFinite(mhz)) return null;
  const lanes = flags.has('avx512f') ? 16 : flags.has('avx2') && flags.has('fma') ? 8 : 4;
  const isa = lanes === 16 ? 'AVX-512' : lanes === 8 ? 'AVX2+FMA' : 'SSE';
  const flopPerCycle = 2 * lanes * 2;
  const perCore = flopPerCycle * mhz * 1e6;
  return {
    perCore,
    flopPerCycle,
    mhz,
    derivation: `${flopPerCycle} FLOP/cycle/core (${isa}, 2 FMA pipes) x ${(mhz / 1000).toFixed(2)} GHz = ${(perCore / 1e9).toFixed(1)} GFLOP/s per core`,
  };
}
