/**
 * The leases a node holds on work in its memory (claimed, waiting or being delivered): renewed
 * while the work lasts, so another node never takes it over (DESIGN.md "Queue model"; the
 * QueueStore's lease promise). A renewal that does not return a row means the lease was lost —
 * it expired and another node took the work — and that work must be dropped here.
 */
import type { QueueStore } from '../queue/index.ts';

export class LeaseKeeper {
  readonly #rids = new Set<number>();

  get size(): number {
    return this.#rids.size;
  }

  add(rids: Iterable<number>): void {
    for (const r of rids) this.#rids.add(r);
  }

  remove(rids: Iterable<number>): void {
    for (const r of rids) this.#rids.delete(r);
  }

  /**
   * Extend every lease held now to `until`; resolves to the rows whose lease was lost. Rows added
   * while the renewal runs are not judged by it.
   */
  async renew(store: QueueStore, owner: string, until: number): Promise<Set<number>> {
    const asked = [...this.#rids];
    if (asked.length === 0) return new Set();
    const kept = new Set(await store.renew(owner, asked, until));
    const lost = new Set(asked.filter((r) => !kept.has(r)));
    this.remove(lost);
    return lost;
  }
}
