package io.strata.storage.internals;

import io.netty.buffer.ByteBufAllocator;
import io.strata.storage.api.LogStoreConfig;
import io.strata.storage.api.TieredStorage;
import org.apache.bookkeeper.common.util.OrderedExecutor;
import org.apache.kafka.common.utils.Time;

/**
 * What every log of one store shares: configuration, clock, the ordered executor, ZooKeeper
 * metadata access, BookKeeper ledger operations, the index cache and the tier (possibly {@link
 * TieredStorage#NONE}). Immutable holder; the parts are thread-safe.
 */
record StoreContext(
    LogStoreConfig config,
    Time time,
    OrderedExecutor executor,
    LogMetadataStore metadata,
    Ledgers ledgers,
    SegmentIndexes indexes,
    ByteBufAllocator allocator,
    TieredStorage tier) {}
