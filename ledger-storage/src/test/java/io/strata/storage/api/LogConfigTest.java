package io.strata.storage.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class LogConfigTest {
  @Test
  void defaultsAreKafkasAndTheClusterQuorums() {
    LogConfig c = LogConfig.defaults();
    assertThat(c.segmentBytes()).isEqualTo(1 << 30);
    assertThat(c.segmentMs()).isEqualTo(7L * 24 * 3600 * 1000);
    assertThat(c.retentionMs()).isEqualTo(7L * 24 * 3600 * 1000);
    assertThat(c.retentionBytes()).isEqualTo(-1);
    assertThat(c.ensembleSize()).isEqualTo(3);
    assertThat(c.writeQuorumSize()).isEqualTo(3);
    assertThat(c.ackQuorumSize()).isEqualTo(2);
    assertThat(LogConfig.withQuorums(1, 1, 1).ackQuorumSize()).isEqualTo(1);
  }

  @Test
  void quorumsMustNest() {
    assertThatThrownBy(() -> LogConfig.withQuorums(2, 3, 2)).isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> LogConfig.withQuorums(3, 2, 3)).isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> new LogConfig(Map.of(LogConfig.SEGMENT_BYTES, 0)))
        .isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> new LogConfig(Map.of(LogConfig.RETENTION_MS, -2L)))
        .isInstanceOf(ConfigException.class);
  }

  @Test
  void storeConfigDerivesTheBookKeeperUri() {
    LogStoreConfig c = new LogStoreConfig(Map.of(LogStoreConfig.ZOOKEEPER_CONNECT, "a:1,b:2"));
    assertThat(c.bookkeeperMetadataUri()).isEqualTo("zk+hierarchical://a:1;b:2/ledgers");
    assertThat(c.metadataRoot()).isEqualTo("/strata");
    assertThat(c.throttle()).isZero();
    assertThatThrownBy(
            () ->
                new LogStoreConfig(
                    Map.of(
                        LogStoreConfig.ZOOKEEPER_CONNECT, "a:1",
                        LogStoreConfig.METADATA_ROOT, "strata")))
        .isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> new LogStoreConfig(Map.of())).isInstanceOf(ConfigException.class);
  }

  @Test
  void errorCodesAreStable() {
    assertThat(new LogUnavailableException("x").retriable()).isTrue();
    assertThat(new LogFencedException("x").retriable()).isFalse();
    assertThat(new LogFencedException("x").code().code()).isEqualTo(2);
    assertThat(new CorruptBatchException("x").code()).isEqualTo(StorageErrorCode.CORRUPT_BATCH);
  }
}
