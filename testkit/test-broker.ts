// A broker of a test's own (one it stops and starts while the shared broker stays up). Its events go with it
// when it is disposed, so the query service's parser reads them first (see query-service-contract.ts).

import { type OwnBroker, startOwnBroker } from './own-broker.ts';
import { recordChecksOfOwnBroker } from './query-service-contract.ts';

export type { OwnBroker };

export function startTestBroker(): Promise<OwnBroker> {
  return startOwnBroker({ beforeStop: recordChecksOfOwnBroker });
}
