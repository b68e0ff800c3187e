/** Where a feed stands: how many batches are verified and the leaf hash of the last one. */
export interface FeedHead {
  readonly size: number;
  readonly head: string | null;
}
