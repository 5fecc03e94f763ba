import { findFreePortTriple, startClickHouseServer, type ClickHouseServer } from "./clickhouse-server.js";

/** Servers of a cluster on loopback, by shard then replica. */
export interface ClickHouseCluster {
  /** Name in every server's <remote_servers>. */
  name: string;
  shards: ClickHouseServer[][];
  /** Every server, shard by shard. */
  servers: ClickHouseServer[];
  stop(): Promise<void>;
}

/** Options for {@link startClickHouseCluster}. */
export interface ClusterOptions {
  name: string;
  shards: number;
  /** Replicas per shard (default 1); more than one needs `zookeeper`. */
  replicas?: number;
  /** ZooKeeper host:port for replication and ON CLUSTER DDL. */
  zookeeper?: { host: string; port: number };
}

/**
 * Starts shards × replicas ClickHouse servers, each with the cluster in its
 * <remote_servers> (internal_replication: a Distributed table writes one
 * replica, which replicates to the others) and its {shard}/{replica} macros.
 */
export async function startClickHouseCluster(opts: ClusterOptions): Promise<ClickHouseCluster> {
  const replicas = opts.replicas ?? 1;
  const ports: number[][] = [];
  const taken = new Set<number>();
  for (let s = 0; s < opts.shards; s++) {
    const row: number[] = [];
    for (let r = 0; r < replicas; r++) {
      let port: number;
      do port = await findFreePortTriple();
      while ([port, port + 1, port + 2].some((p) => taken.has(p)));
      for (const p of [port, port + 1, port + 2]) taken.add(p);
      row.push(port);
    }
    ports.push(row);
  }
  const remoteServers = [
    "<yandex><remote_servers>",
    `<${opts.name}>`,
    ...ports.map((row) => `<shard><internal_replication>true</internal_replication>${row.map((http) => `<replica><host>127.0.0.1</host><port>${http + 1}</port></replica>`).join("")}</shard>`),
    `</${opts.name}>`,
    "</remote_servers></yandex>",
  ].join("\n");
  const zookeeper = opts.zookeeper ? `<yandex><zookeeper><node><host>${opts.zookeeper.host}</host><port>${opts.zookeeper.port}</port></node></zookeeper></yandex>` : undefined;
  const started: ClickHouseServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(started.map((s) => s.stop()));
  };
  try {
    const shards: ClickHouseServer[][] = [];
    for (const [s, row] of ports.entries()) {
      const shard: ClickHouseServer[] = [];
      for (const [r, httpPort] of row.entries()) {
        const server = await startClickHouseServer({
          httpPort,
          configFiles: {
            "remote-servers.xml": remoteServers,
            "macros.xml": `<yandex><macros><shard>${s + 1}</shard><replica>r${r + 1}</replica></macros></yandex>`,
            ...(zookeeper ? { "zookeeper.xml": zookeeper } : {}),
          },
        });
        started.push(server);
        shard.push(server);
      }
      shards.push(shard);
    }
    return { name: opts.name, shards, servers: started, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
