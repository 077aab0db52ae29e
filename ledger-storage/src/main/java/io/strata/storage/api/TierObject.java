package io.strata.storage.api;

/**
 * An object found by {@link TierStore#list}.
 *
 * @param key its full key (relative to the store's root)
 * @param sizeBytes its size; -1 for an upload that was started and never completed (an S3 multipart
 *     upload, a temporary file): invisible to {@link TierStore#get}, removed by {@link
 *     TierStore#delete}
 */
public record TierObject(String key, long sizeBytes) {
  public boolean incomplete() {
    return sizeBytes < 0;
  }
}
