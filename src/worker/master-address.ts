import { isIPv4, isIPv6 } from 'node:net';
import { MasterAddressError } from './errors.js';

/**
 * Where the worker inside the container connects to: `BUILDMASTER` and
 * `BUILDMASTER_PORT`. Accepted forms of `masterFQDN`:
 *
 * | form | host | port |
 * |---|---|---|
 * | `master.example` | `master.example` | `masterPort`, else 9989 |
 * | `master.example:9989` | `master.example` | 9989 |
 * | `10.0.0.5:9989`, `[::1]:9989` | `10.0.0.5`, `::1` | 9989 |
 * | `::1`, `fe80::1%eth0` (bare IPv6) | the address | `masterPort`, else 9989 |
 * | `tcp://master.example:9989` | `master.example` | 9989 |
 *
 * Buildbot split the value at every `:`, so IPv6 addresses and URLs made
 * the start fail. `http://` and `https://` URLs are refused with a hint:
 * the worker speaks Buildbot's own protocol to the master's worker port,
 * not HTTP, and a URL's implicit port (80) would be the web server's. When
 * `masterFQDN` carries a port and `masterPort` is given too, they must
 * agree. IPv6 hosts are passed without brackets, as the worker image
 * expects a bare host in `BUILDMASTER`.
 */

/** Buildbot's default worker (PB) port. */
export const DEFAULT_MASTER_PORT = 9989;

/** The master as the worker sees it. */
export interface MasterAddress {
  /** `BUILDMASTER`: a host name or an IP address (IPv6 without brackets). */
  readonly host: string;
  /** `BUILDMASTER_PORT`. */
  readonly port: number;
}

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

function parsePort(value: string, text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new MasterAddressError(value, `"${text}" is not a port number (1-65535)`);
  }
  return Number(text);
}

function checkHost(value: string, host: string): string {
  if (host === '') throw new MasterAddressError(value, 'no host');
  if (isIPv4(host) || HOST_NAME.test(host)) return host;
  throw new MasterAddressError(value, `"${host}" is not a host name or an IP address`);
}

/**
 * Parses `masterFQDN` (see the module comment) and settles the port:
 * the one in `masterFQDN`, else `masterPort`, else 9989.
 * @throws MasterAddressError naming the value and what is wrong
 */
export function parseMasterAddress(masterFQDN: string, masterPort?: number): MasterAddress {
  if (masterPort !== undefined && (!Number.isInteger(masterPort) || masterPort < 1 || masterPort > 65535)) {
    throw new MasterAddressError(masterFQDN, `masterPort ${String(masterPort)} is not a port number (1-65535)`);
  }
  const value = masterFQDN.trim();
  if (value === '') throw new MasterAddressError(masterFQDN, 'empty');
  let rest = value;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(value);
  if (scheme) {
    const name = (scheme[1] ?? '').toLowerCase();
    rest = value.slice(scheme[0].length).replace(/\/+$/, '');
    if (name === 'http' || name === 'https') {
      throw new MasterAddressError(masterFQDN, `the worker connects to the master's worker port, not to a web URL; write the host and port, e.g. "${rest.includes(':') ? rest : `${rest}:${DEFAULT_MASTER_PORT}`}"`);
    }
    if (name !== 'tcp') throw new MasterAddressError(masterFQDN, `unsupported scheme "${name}://" (write host[:port], or tcp://host:port)`);
    if (/[/?#@]/.test(rest)) throw new MasterAddressError(masterFQDN, 'a path, query or user name is not allowed');
  }
  let host: string;
  let port: number | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw new MasterAddressError(masterFQDN, 'unclosed [ in an IPv6 address');
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) throw new MasterAddressError(masterFQDN, `unexpected "${after}" after the IPv6 address`);
      port = parsePort(masterFQDN, after.slice(1));
    }
    if (!isIPv6(host.replace(/%[\w.-]+$/, ''))) throw new MasterAddressError(masterFQDN, `"${host}" is not an IPv6 address`);
  } else if ((rest.match(/:/g) ?? []).length > 1) {
    if (!isIPv6(rest.replace(/%[\w.-]+$/, ''))) {
      throw new MasterAddressError(masterFQDN, 'more than one ":" and not an IPv6 address (write IPv6 with a port as [addr]:port)');
    }
    host = rest;
  } else {
    const colon = rest.indexOf(':');
    host = checkHost(masterFQDN, colon < 0 ? rest : rest.slice(0, colon));
    if (colon >= 0) port = parsePort(masterFQDN, rest.slice(colon + 1));
  }
  if (port !== undefined && masterPort !== undefined && port !== masterPort) {
    throw new MasterAddressError(masterFQDN, `its port ${port} contradicts masterPort ${masterPort}; give the port once`);
  }
  return { host, port: port ?? masterPort ?? DEFAULT_MASTER_PORT };
}
