package io.strata.protocol.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.protocol.ApiKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ApiRegistryTest {

  private static final ApiHandler NOOP = (ctx, request) -> new CompletableFuture<>();

  @Test
  void defaultRangeIsWhatKafkaClientsKnows() {
    ApiRegistry r = ApiRegistry.builder().register(ApiKeys.FETCH, NOOP).build();
    ApiRegistry.Registration fetch = r.registration(ApiKeys.FETCH).orElseThrow();
    assertThat(fetch.minVersion()).isEqualTo(ApiKeys.FETCH.oldestVersion());
    assertThat(fetch.maxVersion()).isEqualTo(ApiKeys.FETCH.latestVersion());
    assertThat(r.supports(ApiKeys.FETCH, ApiKeys.FETCH.latestVersion())).isTrue();
    assertThat(r.supports(ApiKeys.FETCH, (short) (ApiKeys.FETCH.latestVersion() + 1))).isFalse();
    assertThat(r.supports(ApiKeys.PRODUCE, (short) 9)).isFalse();
  }

  @Test
  void narrowedRange() {
    ApiRegistry r =
        ApiRegistry.builder().register(ApiKeys.METADATA, (short) 4, (short) 9, NOOP).build();
    assertThat(r.supports(ApiKeys.METADATA, (short) 3)).isFalse();
    assertThat(r.supports(ApiKeys.METADATA, (short) 4)).isTrue();
    assertThat(r.supports(ApiKeys.METADATA, (short) 9)).isTrue();
    assertThat(r.supports(ApiKeys.METADATA, (short) 10)).isFalse();
  }

  @Test
  void rejectsApiVersionsDuplicatesAndRangesOutsideKafkaClients() {
    assertThatThrownBy(() -> ApiRegistry.builder().register(ApiKeys.API_VERSIONS, NOOP))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                ApiRegistry.builder()
                    .register(ApiKeys.METADATA, NOOP)
                    .register(ApiKeys.METADATA, NOOP))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                ApiRegistry.builder()
                    .register(
                        ApiKeys.METADATA,
                        (short) 0,
                        (short) (ApiKeys.METADATA.latestVersion() + 1),
                        NOOP))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> ApiRegistry.builder().register(ApiKeys.PRODUCE, (short) 0, (short) 9, NOOP))
        .as("Produce v0-2 were removed from kafka-clients")
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> ApiRegistry.builder().register(ApiKeys.METADATA, (short) 5, (short) 4, NOOP))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
