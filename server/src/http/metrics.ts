import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { HarborGuard } from '../app/harborguard.js';
import type { Context } from '../api/context.js';
import { AppError } from '../domain/errors.js';
import { countingFailures } from '../api/auth-limiter.js';
import { answerRefusal } from '../api/http-answers.js';

/**
 * Prometheus metrics. They add up every org, so with HARBORGUARD_METRICS_TOKEN set they need
 * `Authorization: Bearer <token>`; unset, they are open, as scrapers on a private network expect.
 */
export async function handleMetrics(ctx: Context, getApp: () => HarborGuard | null, token: string | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    if (token !== undefined) await countingFailures(ctx.authLimiter, ctx.clientAddress, () => checkToken(req.headers.authorization, token));
  } catch (error) {
    res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
    if (answerRefusal(res, error)) return;
    throw error;
  }
  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
  res.end(exposition(getApp()));
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Compares digests in constant time, so the answer's timing says nothing of the token. */
function checkToken(authorization: string | undefined, token: string): void {
  if (!authorization) throw new AppError('unauthorized', 'Missing Authorization header: /metrics needs the metrics token');
  if (!timingSafeEqual(digest(authorization), digest(`Bearer ${token}`))) throw new AppError('unauthorized', 'Invalid metrics token');
}

function exposition(app: HarborGuard | null): string {
  const lines: string[] = [];
  const gauge = (name: string, help: string, samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  gauge('harborguard_ready', 'Whether the service has rebuilt its state and serves requests.', [['', app?.ready ? 1 : 0]]);
  if (app) {
    gauge('harborguard_sensor_actors', 'Sensor actors running.', [['', app.supervisor.size]]);
    const written = app.writer.lastPosition;
    const projected = app.projector.position;
    gauge('harborguard_store_position', 'Global position of the last event this process wrote.', [['', Number(written ?? 0n)]]);
    gauge('harborguard_projection_position', 'Global position of the last event in the read models.', [['', Number(projected ?? 0n)]]);
    gauge('harborguard_projection_lag_positions', 'How far the read models trail the last write, in store positions.', [
      ['', written === null ? 0 : Math.max(0, Number(written - (projected ?? 0n)))],
    ]);
    const counts = { online: 0, scanning: 0, offline: 0 };
    for (const orgId of app.readModel.credentials.orgs.keys()) {
      const summary = app.readModel.summary(orgId);
      counts.online += summary.online;
      counts.scanning += summary.scanning;
      counts.offline += summary.offline;
    }
    gauge('harborguard_sensors', 'Sensors by status, all orgs.', Object.entries(counts).map(([status, n]) => [`{status="${status}"}`, n]));
  }
  return `${lines.join('\n')}\n`;
}
