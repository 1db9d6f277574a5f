import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, portOpen } from '../../src/temporal/server-supervisor.js';

describe('portOpen (the supervisor knocks before its gRPC readiness check)', () => {
  it('is true while something listens on the port and false once nothing does', async () => {
    const port = await freePort();
    expect(await portOpen('127.0.0.1', port)).toBe(false);
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      expect(await portOpen('127.0.0.1', port)).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await portOpen('127.0.0.1', port)).toBe(false);
  });
});
