import type { Style } from '../output.js';
import type { DoctorReport } from './report.js';

/**
 * `berth doctor` for people: one labelled line per finding. Only what was
 * learnt is shown, so a failure shows how far the checks got.
 */

const LABEL_WIDTH = 10;

function row(style: Style, label: string, value: string): string {
  return `${style.bold(label.padEnd(LABEL_WIDTH))} ${value}`;
}

function ms(value: number): string {
  return value < 10 ? `${value.toFixed(2)} ms` : `${Math.round(value)} ms`;
}

/** The report as lines of text (no trailing newline). */
export function formatReport(report: DoctorReport, style: Style): string[] {
  const lines: string[] = [];
  const { endpoint, tls, api, engine, ping } = report;
  if (endpoint) {
    lines.push(row(style, 'endpoint', endpoint.url));
    lines.push(row(style, '  from', endpoint.description.slice(endpoint.description.indexOf(' from ') + 6)));
  }
  if (tls && endpoint) {
    let text: string;
    if (!tls.enabled) {
      text = endpoint.url.startsWith('unix:') ? 'not used (unix socket)'
        : endpoint.url.startsWith('ssh:') ? 'not used (ssh encrypts the connection)' : style.yellow('off: plain HTTP');
    }
    else {
      const parts = [tls.verify === true ? 'engine certificate verified' : style.yellow('engine certificate NOT verified')];
      parts.push(tls.clientCertificate ? `client certificate ${tls.certFile ?? '(inline)'}` : 'no client certificate');
      if (tls.ca === 'file' && tls.caFile !== null) parts.push(`CA ${tls.caFile}`);
      else if (tls.ca === 'system') parts.push('system CAs');
      text = `on: ${parts.join(', ')}`;
    }
    lines.push(row(style, 'tls', text));
  }
  if (engine && (engine.server !== null || engine.version !== null)) {
    const name = engine.kind === 'unknown' ? 'engine' : engine.kind;
    const server = engine.server !== null ? style.dim(` (${engine.server})`) : '';
    lines.push(row(style, 'engine', `${name} ${engine.version ?? ''}`.trimEnd() + server));
  }
  if (api && (api.negotiated !== null || api.engineMax !== null)) {
    const how = api.pinnedBy !== null ? `pinned by ${api.pinnedBy}` : 'negotiated';
    const engineRange = api.engineMax === null ? 'unknown' : `${api.engineMin ?? '?'}–${api.engineMax}`;
    const used = api.negotiated !== null ? `${api.negotiated} ${how}` : 'none';
    lines.push(row(style, 'api', `${used}; engine ${engineRange}, berth ${api.berthMin}–${api.berthMax}`));
  }
  if (engine && engine.os !== null) {
    const parts = [`${engine.os}${engine.arch !== null ? `/${engine.arch}` : ''}`];
    if (engine.operatingSystem !== null) parts.push(engine.operatingSystem);
    if (engine.kernel !== null) parts.push(`kernel ${engine.kernel}`);
    lines.push(row(style, 'platform', parts.join(', ')));
  }
  if (ping) lines.push(row(style, 'ping', `${ms(ping.medianMs)} median of ${ping.samples} (${ms(ping.minMs)}–${ms(ping.maxMs)})`));
  if (report.ok && engine) {
    lines.push(row(style, 'storage', engine.storageDriver ?? 'unknown'));
    const cgroups = engine.cgroupDriver === null ? 'unknown' : `${engine.cgroupDriver}${engine.cgroupVersion !== null ? `, v${engine.cgroupVersion}` : ''}`;
    lines.push(row(style, 'cgroups', cgroups));
    lines.push(row(style, 'swarm', engine.swarm ?? 'unknown'));
    const runtimes = engine.runtimes.length ? engine.runtimes.join(', ') : 'unknown';
    lines.push(row(style, 'runtimes', `${runtimes}${engine.defaultRuntime !== null ? ` (default ${engine.defaultRuntime})` : ''}`));
    if (engine.builderVersion !== null) lines.push(row(style, 'builder', engine.builderVersion === '2' ? 'BuildKit (2)' : `classic (${engine.builderVersion})`));
  }
  if (report.ok) {
    if (report.warnings.length === 0) lines.push(row(style, 'warnings', 'none'));
    else {
      lines.push(row(style, 'warnings', style.yellow(String(report.warnings.length))));
      for (const w of report.warnings) lines.push(`  ${style.yellow('!')} ${w}`);
    }
  }
  if (endpoint && endpoint.notes.length > 0) for (const n of endpoint.notes) lines.push(`  ${style.dim('note:')} ${n}`);
  return lines;
}
