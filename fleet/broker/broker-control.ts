/**
 * What the fleet's operations ask of whichever broker runs: after a box's
 * credentials changed (enrolled, renewed, revoked), make the broker hold to
 * the new ones at once, dropping a connection made with the old ones.
 */
export interface BrokerControl {
  credentialsChanged(deviceId: string): Promise<void>;
}
