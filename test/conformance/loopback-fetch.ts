// Preloaded (node --import) into the jmap-test-suite process: its fetch may reach loopback
// addresses only. The suite asks smee.io for a webhook channel at start-up (push callback
// tests); here that request fails at once, and the suite skips those tests as it does when
// smee.io is unreachable, instead of sending traffic off this machine.
//
// With JMAP_SUITE_RELATIVE_BASE set, a relative URL is resolved against it, as a browser
// resolves it against the page: Cyrus's session object gives its apiUrl, uploadUrl and
// downloadUrl as paths ("/jmap/"), which the suite hands to fetch unchanged.

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i;
const realFetch = globalThis.fetch;
const relativeBase = process.env.JMAP_SUITE_RELATIVE_BASE;

globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
  const given = input instanceof Request ? input.url : String(input);
  let url: URL;
  try {
    url = new URL(given, relativeBase);
  } catch {
    return Promise.reject(new TypeError(`Invalid URL: ${given}`));
  }
  if (!LOOPBACK.test(url.hostname)) {
    return Promise.reject(new TypeError(`loopback-fetch: ${url.host} is not a loopback address; not fetched`));
  }
  return realFetch(input instanceof Request ? input : url, init);
};
