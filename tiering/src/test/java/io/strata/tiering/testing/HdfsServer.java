package io.strata.tiering.testing;

import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * A real HDFS in this JVM (MiniDFSCluster: one namenode, one datanode) under a directory. Starting
 * it takes about 10 s: one per test class.
 */
public final class HdfsServer implements AutoCloseable {
  private final MiniDFSCluster cluster;

  private HdfsServer(MiniDFSCluster cluster) {
    this.cluster = cluster;
  }

  public static HdfsServer start(Path dir) throws Exception {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.toAbsolutePath().toString());
    conf.setInt("dfs.replication", 1);
    conf.setBoolean("dfs.permissions.enabled", false);
    MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    cluster.waitActive();
    return new HdfsServer(cluster);
  }

  /** {@code hdfs://127.0.0.1:PORT/path}. */
  public String uri(String path) {
    return "hdfs://127.0.0.1:" + cluster.getNameNodePort() + "/" + path;
  }

  @Override
  public void close() {
    cluster.shutdown(true);
  }
}
