// The identity of the events this service publishes: one per stored record, with an id derived from the record
// so that every re-send and republish of the same event carries the same `event-id`. (What each event carries
// is its record kind's: see src/record-kinds/.)

import { parse as parseUuid, v5 as uuidV5 } from 'uuid';

// A fixed namespace for name-based (v5) event ids; changing it would change every event id ever published.
// Held as bytes: given as text, the namespace would be parsed again for every event.
const EVENT_ID_NAMESPACE = parseUuid('5b0c3a52-7d1e-4f0a-9c38-2f6d1b8e4a17');

export function eventIdOf(eventType: string, recordId: number): string {
  return uuidV5(`${eventType}:${recordId}`, EVENT_ID_NAMESPACE);
}
