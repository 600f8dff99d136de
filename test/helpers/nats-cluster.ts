// A private 3-node JetStream cluster on loopback for fault tests: the test starts its own
// nats-server processes on its own ports (never the shared 127.0.0.1:4222; client 14222-14224,
// routes 16222-16224, HTTP monitoring 18222-18224 by default), SIGKILLs them at
// will and stops them all in afterAll. Every server has its own store dir under the OS tmp dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPortOpen as isPortOpenOn } from './ports.js';

const HOST = '127.0.0.1';
const NATS_SERVER = '/usr/sbin/nats-server';

/** One server of a {@link NatsCluster}. */
export interface ClusterNode {
  /** Server name (`n1`…`n3`), as JetStream reports it (stream leader, replicas). */
  readonly name: string;
  /** Client port. */
  readonly port: number;
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  /** Route (cluster) port. */
  readonly clusterPort: number;
  /** HTTP monitoring port (`/jsz`). */
  readonly monitorPort: number;
  /** The running process, `undefined` while killed. */
  process: ChildProcess | undefined;
}

/** A running 3-node cluster, see {@link startCluster}. */
export interface NatsCluster {
  readonly nodes: readonly ClusterNode[];
  /** Client URLs of every node. */
  readonly urls: string[];
  /** The node named `name`. */
  node(name: string): ClusterNode;
  /** SIGKILL a node (resolves once the process is gone). */
  kill(name: string): Promise<void>;
  /** Start a killed node again with its data (resolves once it accepts connections). */
  restart(name: string): Promise<void>;
  /** SIGKILL every node and remove the store dirs. */
  stop(): Promise<void>;
  /** Name of the JetStream meta leader, as a running node's `/jsz` reports it. */
  metaLeader(): Promise<string | undefined>;
}

/** Whether a node's port accepts connections (500 ms probe). */
const isPortOpen = (port: number): Promise<boolean> => isPortOpenOn(port, HOST, 500);

function killProcess(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/**
 * Start `nats-server` ×3 as one JetStream cluster: client ports `clientBase`…`clientBase+2`,
 * route ports `clusterBase`…`clusterBase+2`, and wait until JetStream answers with a meta
 * leader (an R3 stream can be created).
 */
export async function startCluster(
  options: { clientBase?: number; clusterBase?: number; monitorBase?: number; name?: string } = {},
): Promise<NatsCluster> {
  const clientBase = options.clientBase ?? 14222;
  const clusterBase = options.clusterBase ?? 16222;
  const monitorBase = options.monitorBase ?? 18222;
  const clusterName = options.name ?? 'jido-test';
  const root = mkdtempSync(join(tmpdir(), 'jido-cluster-'));
  const nodes: ClusterNode[] = [0, 1, 2].map((i) => ({
    name: `n${i + 1}`,
    port: clientBase + i,
    url: `nats://${HOST}:${clientBase + i}`,
    clusterPort: clusterBase + i,
    monitorPort: monitorBase + i,
    process: undefined,
  }));
  for (const n of nodes) {
    if (await isPortOpen(n.port)) throw new Error(`port ${n.port} is already in use`);
  }
  const routes = nodes.map((n) => `nats://${HOST}:${n.clusterPort}`).join(',');
  const launch = async (n: ClusterNode): Promise<void> => {
    const child = spawn(
      NATS_SERVER,
      [
        ...['-a', HOST, '-p', String(n.port), '-m', String(n.monitorPort), '-n', n.name, '-js'],
        ...['-sd', join(root, n.name), '--cluster_name', clusterName],
        ...['--cluster', `nats://${HOST}:${n.clusterPort}`, '--routes', routes],
      ],
      { stdio: 'ignore' },
    );
    n.process = child;
    const deadline = Date.now() + 10_000;
    while (!(await isPortOpen(n.port))) {
      if (Date.now() > deadline || child.exitCode !== null) {
        await killProcess(child);
        throw new Error(`nats-server ${n.name} did not start on port ${n.port}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const cluster: NatsCluster = {
    nodes,
    urls: nodes.map((n) => n.url),
    node(name) {
      const n = nodes.find((x) => x.name === name);
      if (n === undefined) throw new Error(`no node ${name}`);
      return n;
    },
    async kill(name) {
      const n = cluster.node(name);
      await killProcess(n.process);
      n.process = undefined;
    },
    async restart(name) {
      const n = cluster.node(name);
      if (n.process !== undefined) return;
      await launch(n);
    },
    async metaLeader() {
      for (const n of nodes) {
        if (n.process === undefined) continue;
        try {
          const res = await fetch(`http://${HOST}:${n.monitorPort}/jsz`);
          const jsz = (await res.json()) as { meta_cluster?: { leader?: string } };
          if (jsz.meta_cluster?.leader) return jsz.meta_cluster.leader;
        } catch {
          // try the next node
        }
      }
      return undefined;
    },
    async stop() {
      await Promise.all(nodes.map((n) => killProcess(n.process)));
      for (const n of nodes) n.process = undefined;
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(nodes.map(launch));
    await waitForJetStream(cluster.urls);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/** Wait until the cluster has a JetStream meta leader: an R3 probe stream can be created. */
async function waitForJetStream(urls: string[], timeoutMs = 30_000): Promise<void> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: urls, timeout: 5_000 });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const jsm = await jetstreamManager(nc, { timeout: 2_000 });
        await jsm.streams.add({
          name: 'CLUSTER_PROBE',
          subjects: ['cluster.probe'],
          num_replicas: 3,
        });
        await jsm.streams.delete('CLUSTER_PROBE');
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  } finally {
    await nc.close();
  }
}
