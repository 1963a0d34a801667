// The end of a stream, bounded: what a command's result keeps of its output (messages and summaries need its last
// lines; a command that prints gigabytes must not hold them in memory on the deploying machine).

/** What a result keeps of each stream: the last 64 KiB. */
export const keptOutputBytes = 64 * 1024;

export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Bytes received but no longer kept (from the start of the stream). */
  dropped = 0;

  constructor(private readonly limit = keptOutputBytes) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.limit && this.chunks.length > 1) {
      const first = this.chunks.shift();
      this.size -= first?.length ?? 0;
      this.dropped += first?.length ?? 0;
    }
    if (this.size > this.limit) {
      const all = Buffer.concat(this.chunks);
      const cut = all.length - this.limit;
      this.chunks = [all.subarray(cut)];
      this.size = this.limit;
      this.dropped += cut;
    }
  }

  /** The kept bytes as text; a cut may fall inside a character, which then shows as U+FFFD. */
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
