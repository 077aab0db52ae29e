package io.strata.broker.producer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * Idempotent-producer state of one partition: for each producer id its epoch and the metadata of
 * its last {@value #MAX_BATCHES_PER_PRODUCER} batches, with Kafka's sequence rules (Kafka's {@code
 * ProducerStateManager} / {@code ProducerAppendInfo}).
 *
 * <p>Two views are kept. <em>Committed</em> holds batches the log acknowledged; it is what a
 * snapshot saves and what replay rebuilds. <em>Current</em> adds the batches handed to the log but
 * not yet acknowledged, because a producer pipelines up to five requests and the next one must be
 * checked against the ones still in flight. If an append fails, the log fails every append behind
 * it too, so {@link #onAppendFailed()} simply resets current to committed.
 *
 * <p>A retry of a batch that is still in flight is answered with the outcome of the original append
 * ({@link Check#duplicateOf()}), so the producer gets the original offsets once they exist.
 *
 * <p>Not thread-safe: used only on its partition's executor.
 */
public final class ProducerStateManager {

  /** Kafka keeps the metadata of the last five batches per producer (max in-flight requests). */
  public static final int MAX_BATCHES_PER_PRODUCER = 5;

  /**
   * How many expired producers a partition remembers (ids only, 8 bytes each in a snapshot); the
   * oldest are forgotten first.
   */
  public static final int MAX_EXPIRED_PRODUCERS = 10_000;

  /** Offsets assigned to a batch once the log acknowledged it. */
  public record AppendedOffsets(long firstOffset, long lastOffset, long logAppendTime) {}

  /** One batch of a producer, pending or acknowledged. */
  public static final class BatchMetadata {
    /** First sequence number of the batch. */
    public int firstSeq() {
      return firstSeq;
    }

    /** Last sequence number of the batch. */
    public int lastSeq() {
      return lastSeq;
    }

    final int firstSeq;
    final int lastSeq;
    final long timestamp;
    final CompletableFuture<AppendedOffsets> outcome;

    BatchMetadata(
        int firstSeq, int lastSeq, long timestamp, CompletableFuture<AppendedOffsets> outcome) {
      this.firstSeq = firstSeq;
      this.lastSeq = lastSeq;
      this.timestamp = timestamp;
      this.outcome = outcome;
    }

    /** Completes with the offsets when the log acknowledges the batch, or fails with it. */
    public CompletableFuture<AppendedOffsets> outcome() {
      return outcome;
    }
  }

  /** The state of one producer id. */
  public static final class ProducerEntry {
    final long producerId;
    short epoch;
    final ArrayDeque<BatchMetadata> batches = new ArrayDeque<>();
    long lastTimestamp;

    ProducerEntry(long producerId, short epoch) {
      this.producerId = producerId;
      this.epoch = epoch;
    }

    ProducerEntry copy() {
      ProducerEntry c = new ProducerEntry(producerId, epoch);
      c.batches.addAll(batches);
      c.lastTimestamp = lastTimestamp;
      return c;
    }

    int lastSeq() {
      return batches.isEmpty() ? RecordBatch.NO_SEQUENCE : batches.peekLast().lastSeq;
    }

    public long producerId() {
      return producerId;
    }

    public short epoch() {
      return epoch;
    }

    public long lastTimestamp() {
      return lastTimestamp;
    }

    /** The newest batch recorded for this producer. */
    public Optional<BatchMetadata> lastBatch() {
      return Optional.ofNullable(batches.peekLast());
    }

    /** The last sequence number of the newest batch, or -1. */
    public int lastSequence() {
      return lastSeq();
    }
  }

  /**
   * The verdict on an incoming batch: accept it, answer it as a duplicate, or reject it with a
   * Kafka error.
   */
  public record Check(Errors error, String message, BatchMetadata duplicateOf) {
    static final Check ACCEPT = new Check(Errors.NONE, null, null);

    public boolean accepted() {
      return error == Errors.NONE && duplicateOf == null;
    }
  }

  private final Map<Long, ProducerEntry> committed = new HashMap<>();
  private Map<Long, ProducerEntry> current = new HashMap<>();
  // Ids of producers whose state expired here, oldest first: they may resume at any sequence.
  private final LinkedHashSet<Long> expired = new LinkedHashSet<>();

  /**
   * Checks a batch of an idempotent producer against the current state (Kafka's rules: a lower
   * epoch is INVALID_PRODUCER_EPOCH; a batch equal to one of the last five of this epoch is a
   * duplicate; a new epoch must start at sequence 0; otherwise the first sequence must follow the
   * last one).
   *
   * <p>A producer with no state here is where Strata is stricter than Kafka, which accepts any
   * sequence from it. Strata does so only for a producer whose state expired here ({@code
   * producer.id.expiration.ms}; the last {@value #MAX_EXPIRED_PRODUCERS} are remembered, across
   * moves too), as Kafka does. A producer never seen here must start at sequence 0: a producer
   * pipelines its batches, and when a partition changes owner its first batch may be refused by the
   * old owner (or by a broker that does not serve the partition yet) while its next one reaches the
   * new owner; accepting that one would store the producer's records out of order. The answer,
   * OUT_OF_ORDER_SEQUENCE_NUMBER, makes the client retry it after the earlier batch (kafka-clients
   * retries a batch that is not the next unacknowledged one as it is; librdkafka retries it under a
   * new epoch, in order).
   */
  public Check check(long producerId, short epoch, int firstSeq, int lastSeq) {
    ProducerEntry entry = current.get(producerId);
    if (entry == null || entry.epoch == RecordBatch.NO_PRODUCER_EPOCH) {
      if (firstSeq == 0 || expired.contains(producerId)) {
        return Check.ACCEPT;
      }
      return new Check(
          Errors.OUT_OF_ORDER_SEQUENCE_NUMBER,
          "Producer "
              + producerId
              + " has not written to this partition and its batch starts at sequence "
              + firstSeq
              + ", not 0: its earlier batches must be written first",
          null);
    }
    if (epoch < entry.epoch) {
      return new Check(
          Errors.INVALID_PRODUCER_EPOCH,
          "Epoch " + epoch + " of producer " + producerId + " is older than " + entry.epoch,
          null);
    }
    if (epoch == entry.epoch) {
      for (BatchMetadata b : entry.batches) {
        if (b.firstSeq == firstSeq && b.lastSeq == lastSeq) {
          return new Check(Errors.NONE, null, b);
        }
      }
      int last = entry.lastSeq();
      if (!inSequence(last, firstSeq)) {
        return new Check(
            Errors.OUT_OF_ORDER_SEQUENCE_NUMBER,
            "Out of order sequence number for producer "
                + producerId
                + ": "
                + firstSeq
                + " (incoming), "
                + last
                + " (current end sequence)",
            null);
      }
      return Check.ACCEPT;
    }
    if (firstSeq != 0) {
      return new Check(
          Errors.OUT_OF_ORDER_SEQUENCE_NUMBER,
          "A new epoch " + epoch + " of producer " + producerId + " must start at sequence 0",
          null);
    }
    return Check.ACCEPT;
  }

  private static boolean inSequence(int lastSeq, int nextSeq) {
    return nextSeq == lastSeq + 1L || (nextSeq == 0 && lastSeq == Integer.MAX_VALUE);
  }

  /**
   * Records a batch that passed {@link #check} and is being handed to the log.
   *
   * @return its metadata; complete {@link BatchMetadata#outcome()} through {@link #onAppended} or
   *     {@link #onAppendFailed()}
   */
  public BatchMetadata onAppendStarted(
      long producerId, short epoch, int firstSeq, int lastSeq, long timestamp) {
    BatchMetadata meta =
        new BatchMetadata(firstSeq, lastSeq, timestamp, new CompletableFuture<AppendedOffsets>());
    addTo(current, producerId, epoch, meta);
    return meta;
  }

  /**
   * Marks a batch acknowledged by the log. Calls must come in log order.
   *
   * @param producerId the producer of the batch
   * @param epoch its epoch
   * @param meta the metadata {@link #onAppendStarted} returned
   * @param offsets where the log put it
   */
  public void onAppended(
      long producerId, short epoch, BatchMetadata meta, AppendedOffsets offsets) {
    expired.remove(producerId);
    addTo(committed, producerId, epoch, meta);
    meta.outcome.complete(offsets);
  }

  /**
   * An append failed; every append behind it fails too (the log's contract), so the in-flight state
   * is dropped and the next batch is checked against what the log acknowledged.
   */
  public void onAppendFailed(BatchMetadata meta, Throwable cause) {
    meta.outcome.completeExceptionally(cause);
    Map<Long, ProducerEntry> reset = new HashMap<>();
    committed.forEach((id, e) -> reset.put(id, e.copy()));
    current = reset;
  }

  private static void addTo(
      Map<Long, ProducerEntry> state, long producerId, short epoch, BatchMetadata meta) {
    ProducerEntry entry = state.computeIfAbsent(producerId, id -> new ProducerEntry(id, epoch));
    if (epoch != entry.epoch) {
      entry.batches.clear();
      entry.epoch = epoch;
    }
    entry.batches.addLast(meta);
    while (entry.batches.size() > MAX_BATCHES_PER_PRODUCER) {
      entry.batches.removeFirst();
    }
    entry.lastTimestamp = Math.max(entry.lastTimestamp, meta.timestamp);
  }

  /**
   * Rebuilds state from a batch read back from the log (loading a partition). No checks: the log
   * holds only batches that passed them.
   */
  public void replay(
      long producerId,
      short epoch,
      int firstSeq,
      int lastSeq,
      long firstOffset,
      long lastOffset,
      long timestamp) {
    BatchMetadata meta =
        new BatchMetadata(
            firstSeq,
            lastSeq,
            timestamp,
            CompletableFuture.completedFuture(
                new AppendedOffsets(firstOffset, lastOffset, RecordBatch.NO_TIMESTAMP)));
    expired.remove(producerId);
    addTo(committed, producerId, epoch, meta);
    addTo(current, producerId, epoch, meta);
  }

  /**
   * Drops producers whose newest batch is older than {@code expirationMs} (Kafka's rule), keeping
   * their ids as expired.
   */
  public int removeExpired(long nowMs, long expirationMs) {
    List<Long> expiredNow = new ArrayList<>();
    for (ProducerEntry e : committed.values()) {
      if (nowMs - e.lastTimestamp >= expirationMs && !hasPending(e.producerId)) {
        expiredNow.add(e.producerId);
      }
    }
    for (Long id : expiredNow) {
      committed.remove(id);
      current.remove(id);
      rememberExpired(id);
    }
    return expiredNow.size();
  }

  private void rememberExpired(long producerId) {
    expired.remove(producerId);
    expired.add(producerId);
    Iterator<Long> oldest = expired.iterator();
    while (expired.size() > MAX_EXPIRED_PRODUCERS) {
      oldest.next();
      oldest.remove();
    }
  }

  private boolean hasPending(long producerId) {
    ProducerEntry c = current.get(producerId);
    if (c == null) {
      return false;
    }
    Iterator<BatchMetadata> it = c.batches.descendingIterator();
    return it.hasNext() && !it.next().outcome.isDone();
  }

  /**
   * The committed state as a snapshot covering offsets below {@code nextOffset}: for each producer
   * its last acknowledged batch.
   */
  public ProducerSnapshot snapshot(long nextOffset) {
    List<ProducerSnapshot.Entry> entries = new ArrayList<>(committed.size());
    for (ProducerEntry e : committed.values()) {
      BatchMetadata last = e.batches.peekLast();
      if (last == null) {
        continue;
      }
      AppendedOffsets offsets = last.outcome.getNow(null);
      if (offsets == null) {
        continue;
      }
      entries.add(
          new ProducerSnapshot.Entry(
              e.producerId,
              e.epoch,
              last.firstSeq,
              last.lastSeq,
              offsets.firstOffset(),
              offsets.lastOffset(),
              e.lastTimestamp));
    }
    return new ProducerSnapshot(nextOffset, entries, List.copyOf(expired));
  }

  /** Loads a snapshot; batches after {@link ProducerSnapshot#nextOffset()} are then replayed. */
  public void restore(ProducerSnapshot snapshot) {
    snapshot.expired().forEach(this::rememberExpired);
    for (ProducerSnapshot.Entry e : snapshot.entries()) {
      replay(
          e.producerId(),
          e.epoch(),
          e.firstSeq(),
          e.lastSeq(),
          e.firstOffset(),
          e.lastOffset(),
          e.lastTimestamp());
    }
  }

  /** Committed producers (acknowledged batches only), for DescribeProducers and snapshots. */
  public Collection<ProducerEntry> committedProducers() {
    return Collections.unmodifiableCollection(committed.values());
  }

  /** Number of producers with committed state. */
  public int size() {
    return committed.size();
  }
}
