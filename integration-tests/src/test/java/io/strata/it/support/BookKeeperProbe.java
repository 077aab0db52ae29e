package io.strata.it.support;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.bookkeeper.client.BKException;
import org.apache.bookkeeper.client.BookKeeper;
import org.apache.bookkeeper.client.api.DigestType;
import org.apache.bookkeeper.client.api.LedgerMetadata;
import org.apache.bookkeeper.client.api.ListLedgersResult;
import org.apache.bookkeeper.client.api.ReadHandle;
import org.apache.bookkeeper.conf.ClientConfiguration;
import org.apache.bookkeeper.net.BookieId;

/**
 * Looks at a running cluster's ledgers from the outside, without fencing anything: which open
 * ledgers hold entries, and which bookies they write to. A BookKeeper client takes about 2 s to
 * close; use one per test.
 */
public final class BookKeeperProbe implements AutoCloseable {
  private final BookKeeper bk;

  /** Connects to the BookKeeper metadata under {@code /ledgers} of {@code zookeeperConnect}. */
  public BookKeeperProbe(String zookeeperConnect) throws Exception {
    ClientConfiguration conf = new ClientConfiguration();
    conf.setMetadataServiceUri("zk+hierarchical://" + zookeeperConnect + "/ledgers");
    conf.setZkTimeout(30_000);
    bk = BookKeeper.forConfig(conf).build();
  }

  /** Ledgers that are not closed and hold at least one entry (the ones being written). */
  @SuppressWarnings("try") // BookKeeper's handles declare InterruptedException on close()
  public List<Long> openLedgersWithEntries() throws Exception {
    List<Long> out = new ArrayList<>();
    try (ListLedgersResult all = bk.newListLedgersOp().execute().get(30, TimeUnit.SECONDS)) {
      for (long id : all.toIterable()) {
        if (metadata(id).isClosed()) {
          continue;
        }
        try (ReadHandle h =
            bk.newOpenLedgerOp()
                .withLedgerId(id)
                .withRecovery(false) // never fence the broker's writer
                .withDigestType(DigestType.CRC32C)
                .withPassword(new byte[0])
                .execute()
                .get(30, TimeUnit.SECONDS)) {
          h.readUnconfirmed(0, 0).close();
          out.add(id);
        } catch (Exception e) {
          // no entry 0 yet: created but not written
        }
      }
    }
    return out;
  }

  /** The bookies the ledger writes its next entries to (its last ensemble). */
  public List<String> lastEnsemble(long ledgerId) throws Exception {
    return metadata(ledgerId).getAllEnsembles().lastEntry().getValue().stream()
        .map(BookieId::toString)
        .toList();
  }

  private LedgerMetadata metadata(long ledgerId) throws Exception {
    return bk.getLedgerManager().readLedgerMetadata(ledgerId).get(30, TimeUnit.SECONDS).getValue();
  }

  @Override
  public void close() throws BKException {
    try {
      bk.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
