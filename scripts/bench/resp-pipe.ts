/**
 * A raw RESP pipe for the bench's stream publisher: commands are encoded by hand and written
 * together, replies only counted, as `redis-cli --pipe` does. ioredis spends about 30 µs of CPU per
 * command (a `Command` object, its promise, its reply parsed), which on this 2-core machine took
 * most of a core at 20,000 XADDs a second and starved the instance under test; a service feeding the
 * ingest stream at market-data rates pipes its XADDs in the same way.
 */
import { connect, type Socket } from 'node:net';

export class RespPipe {
  private pending = Buffer.alloc(0);
  private waiting: { left: number; errors: number; done: (errors: number) => void } | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  /** Connects to `host:port` (one Redis node: on a cluster, the master of the stream's slot). */
  static open(host: string, port: number): Promise<RespPipe> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => {
        socket.off('error', reject);
        socket.setNoDelay(true);
        resolve(new RespPipe(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Sends the commands in one write and resolves, once every reply is in, with how many were errors. */
  send(commands: readonly (readonly string[])[]): Promise<number> {
    if (this.waiting) throw new Error('RespPipe: one batch at a time');
    if (commands.length === 0) return Promise.resolve(0);
    const text = commands.map(encode).join('');
    return new Promise((done) => {
      this.waiting = { left: commands.length, errors: 0, done };
      this.socket.write(text);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  /** Counts whole replies: simple strings, errors, integers and bulk strings (XADD answers an id). */
  private onData(chunk: Buffer): void {
    let buffer = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let at = 0;
    const waiting = this.waiting;
    while (waiting && waiting.left > 0) {
      const end = buffer.indexOf('\r\n', at);
      if (end < 0) break;
      const kind = buffer[at];
      let next = end + 2;
      if (kind === 0x24 /* $ */) {
        const length = Number(buffer.toString('latin1', at + 1, end));
        if (length >= 0) next += length + 2;
        if (next > buffer.length) break;
      }
      if (kind === 0x2d /* - */) waiting.errors += 1;
      waiting.left -= 1;
      at = next;
    }
    buffer = buffer.subarray(at);
    this.pending = buffer.length > 0 ? Buffer.from(buffer) : Buffer.alloc(0);
    if (waiting && waiting.left === 0) {
      this.waiting = null;
      waiting.done(waiting.errors);
    }
  }
}

function encode(args: readonly string[]): string {
  let text = `*${args.length}\r\n`;
  for (const arg of args) text += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
  return text;
}
