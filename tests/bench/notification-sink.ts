/**
 * The storm benchmark's receivers (webhook, Slack and PagerDuty over HTTP, email over SMTP, all
 * on loopback) in a process of their own, as real endpoints are: parsing and checking what they
 * receive costs the service nothing. Started by `notifications.bench.ts` with `fork`; tells its
 * parent where it listens, then every arrival: which channel, when (wall clock), and how many
 * sensors it covers.
 */
import { HttpReceiver, SmtpReceiver } from '../support/notification-receivers.js';

export interface SinkReady {
  kind: 'ready';
  httpUrl: string;
  smtpPort: number;
}

export interface SinkArrival {
  kind: 'arrival';
  channel: 'webhook' | 'slack' | 'pagerduty' | 'email';
  at: number;
  sensors: number;
}

const REPORT_EVERY_MS = 10;

async function main(): Promise<void> {
  const http = await HttpReceiver.start('bench-secret');
  const smtp = await SmtpReceiver.start();
  const send = (message: SinkReady | SinkArrival) => process.send!(message);
  send({ kind: 'ready', httpUrl: http.url, smtpPort: smtp.port });
  let requests = 0;
  let mails = 0;
  setInterval(() => {
    for (const r of http.requests.slice(requests)) {
      if (r.path === '/hook') send({ kind: 'arrival', channel: 'webhook', at: r.receivedAt, sensors: r.body.sensors?.length ?? 1 });
      if (r.path === '/slack') send({ kind: 'arrival', channel: 'slack', at: r.receivedAt, sensors: Number(/^(\d+) sensors/.exec(r.body.text)?.[1] ?? 1) });
      if (r.path === '/pd') send({ kind: 'arrival', channel: 'pagerduty', at: r.receivedAt, sensors: r.body.payload?.custom_details?.sensorCount ?? 1 });
    }
    for (const m of smtp.mails.slice(mails)) send({ kind: 'arrival', channel: 'email', at: m.receivedAt, sensors: Number(/(\d+) sensors lost connection/.exec(m.raw)?.[1] ?? 1) });
    requests = http.requests.length;
    mails = smtp.mails.length;
  }, REPORT_EVERY_MS);
  // The parent ends this process when it is done, or by going away.
  process.on('disconnect', () => process.exit(0));
}

void main();
