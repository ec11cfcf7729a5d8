import { getContext, setContext } from 'svelte';
import type { ActorNames, RegistryRow, Whoami } from '@harborguard/shared';
import type { NameOf } from './audit';
import { createApi, type Api } from './api/api';
import { connect, type Connection } from './api/client';
import { hasRole } from './api/session';
import { LiveFleet } from './fleet/live-fleet.svelte';
import { SensorNames } from './sensor-names.svelte';

/** What every signed-in page shares: who is signed in, the API, the live connection and the org's counts. */
export class Dashboard {
  readonly api: Api;
  readonly fleet: LiveFleet;
  readonly #connection: Connection;
  /** The org's registries as last loaded by any page (for names). */
  registries = $state.raw<RegistryRow[]>([]);
  /** Names of the org's people, for the causes of events. */
  actorNames = $state.raw<{ users: Map<string, string> }>({ users: new Map() });
  /** Names of the sensors pages mention (deleted ones too), fetched as needed. */
  readonly sensorNames: SensorNames;

  constructor(readonly whoami: Whoami) {
    let fleet: LiveFleet | null = null;
    this.#connection = connect({ onOpen: () => fleet?.connectionOpened(), onClose: () => fleet?.connectionClosed() });
    this.api = createApi(this.#connection.trpc);
    fleet = this.fleet = new LiveFleet(this.api);
    this.fleet.start();
    this.sensorNames = new SensorNames(async (ids) => (await this.api.actorNames(ids)).sensors);
    void this.refreshActorNames();
  }

  /** Loads the names of the org's people; without them, causes show as ids. */
  async refreshActorNames(): Promise<void> {
    try {
      const names: ActorNames = await this.api.actorNames([]);
      this.actorNames = { users: new Map(names.users.map((u) => [u.id, u.name])) };
    } catch {
      // Causes keep showing their ids.
    }
  }

  async refreshRegistries(): Promise<RegistryRow[]> {
    const rows = await this.api.listRegistries();
    this.registries = rows;
    return rows;
  }

  /** A sensor's or registry's name for an id, when known. */
  readonly nameOf: NameOf = (kind, id) => {
    if (kind === 'user') return this.actorNames.users.get(id) ?? null;
    if (kind === 'sensor') return this.sensorNames.get(id);
    return this.registries.find((registry) => registry.id === id)?.name ?? null;
  };

  get canOperate(): boolean {
    return hasRole(this.whoami.role, 'operator');
  }

  get canAudit(): boolean {
    return hasRole(this.whoami.role, 'auditor');
  }

  close(): void {
    this.fleet.stop();
    this.sensorNames.stop();
    this.#connection.close();
  }
}

const KEY = Symbol('dashboard');

export function provideDashboard(dashboard: Dashboard): void {
  setContext(KEY, dashboard);
}

export function useDashboard(): Dashboard {
  const dashboard = getContext<Dashboard | undefined>(KEY);
  if (!dashboard) throw new Error('useDashboard() outside the signed-in layout');
  return dashboard;
}
