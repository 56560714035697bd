/**
 * The reset policy: what a process does when the bus cannot go on gap-free from where it was (the
 * store came back empty, or the history was pruned past this process).
 */
import type { BusReset } from '../bus/types.js';
import { CloseCode } from '../domain/protocol.js';
import type { MatchBook } from '../engine/match-book.js';
import type { Hub } from '../hub/hub.js';
import type { Logger } from '../log.js';
import type { Roles } from './roles.js';

export interface HistoryResetDeps {
  readonly logger: Logger;
  readonly book: MatchBook;
  readonly hub: Hub;
  readonly roles: Roles;
}

/**
 * The Redis reset policy. A new history (Redis came back empty) or one pruned past this node:
 * every client resumes, and gets resumed:false and a SNAPSHOT when its position is gone.
 */
export function onHistoryReset(reset: BusReset, { logger, book, hub, roles }: HistoryResetDeps): void {
  logger.warn({ reason: reset.reason, epoch: reset.epoch, seq: reset.seq }, 'shared history reset: clients reconnect and resume');
  const writer = roles.writer;
  if (reset.reason === 'epoch-changed' && (writer === undefined || (reset.epoch !== null && writer.epoch !== reset.epoch))) {
    // The book still shows the lost history, and the clients closed below reconnect before
    // it is read again: their SNAPSHOT would carry the old history's seq into the new epoch
    // and the new history's first events would be skipped as already sent. Until the read,
    // the book is the new history's start (no match, seq 0); clients replay what follows.
    // A writer of the lost history loses nothing by it: its lease went with that history,
    // so whatever it detects from this book is refused by the fence. (A writer is left
    // alone while no new history exists: it cannot tell yet whether it took over in it.)
    book.load({ seq: reset.seq, states: [], epoch: reset.epoch });
  }
  hub.closeAll(CloseCode.GoingAway, 'history_reset');
  roles.refreshBook();
}
