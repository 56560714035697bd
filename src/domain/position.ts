/**
 * A position in the event stream, as one value (like centrifuge's `StreamPosition`): the history
 * (`epoch`, which a new or reset store changes) and the newest `seq` reached in it. Events after a
 * position are those with a greater `seq` in the same epoch; in another epoch the position means
 * nothing.
 */
export interface StreamPosition {
  /** The history the seq belongs to (`HistoryBounds.epoch`, the `epoch` of `SUBSCRIBED`). */
  readonly epoch: string;
  /** The newest seq reached (0: the history's start). */
  readonly seq: number;
}
