// The core capability's limits (RFC 8620 §2, urn:ietf:params:jmap:core), advertised in the
// session object and enforced by the dispatcher, the upload route and the standard methods.

export interface JmapLimits {
  maxSizeUpload: number;
  maxConcurrentUpload: number;
  maxSizeRequest: number;
  maxConcurrentRequests: number;
  maxCallsInRequest: number;
  maxObjectsInGet: number;
  maxObjectsInSet: number;
}

/** The values Cyrus and Fastmail advertise are of this order; a message is at most ~50 MB. */
export const DEFAULT_JMAP_LIMITS: JmapLimits = {
  maxSizeUpload: 50_000_000,
  maxConcurrentUpload: 4,
  maxSizeRequest: 10_000_000,
  maxConcurrentRequests: 4,
  maxCallsInRequest: 64,
  maxObjectsInGet: 1000,
  maxObjectsInSet: 1000,
};
