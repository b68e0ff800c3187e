/** One batch of this node's own feed, as publishing reports it to the operator. */
export interface PublishedBatch {
  readonly seq: number;
  readonly entries: number;
  readonly leafHash: string;
}
