package io.strata.tiering.store;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.strata.storage.api.TierObject;
import io.strata.storage.api.TierStore;
import io.strata.storage.api.TierStoreException;
import io.strata.storage.api.TierUpload;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A {@link TierStore} on S3 or any S3-compatible service, through aws-sdk-java-v2's async client on
 * Netty ({@code s3://BUCKET/PREFIX?endpoint=URL&region=R&pathStyle=true}): key {@code a/b} is
 * object {@code PREFIX/a/b} of the bucket.
 *
 * <p>An object up to {@code partBytes} is one PUT; a larger one is a multipart upload of parts that
 * size, uploaded one after the other (an upload holds at most one part in memory), completed at the
 * end and aborted on failure. Both are atomic in S3: the object is visible only once complete. An
 * upload cut short by a crash stays an incomplete multipart upload: {@link #list} reports it and
 * {@link #delete} aborts it.
 *
 * <p>Nothing blocks: futures complete on the SDK's threads. Thread-safe.
 */
public final class S3TierStore implements TierStore {
  private final S3AsyncClient s3;
  private final String bucket;
  private final String prefix;
  private final int partBytes;
  private final String description;

  /** Settings parsed from an {@code s3://} URI. */
  public record Location(
      String bucket, String prefix, URI endpoint, String region, boolean pathStyle) {

    /** Parses {@code s3://BUCKET/PREFIX?endpoint=URL&region=R&pathStyle=true}. */
    public static Location parse(URI uri) {
      String endpoint = null;
      String region = "us-east-1";
      boolean pathStyle = false;
      if (uri.getRawQuery() != null) {
        for (String kv : uri.getRawQuery().split("&")) {
          int eq = kv.indexOf('=');
          String k = eq < 0 ? kv : kv.substring(0, eq);
          String v =
              eq < 0
                  ? ""
                  : java.net.URLDecoder.decode(
                      kv.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8);
          switch (k) {
            case "endpoint" -> endpoint = v;
            case "region" -> region = v;
            case "pathStyle" -> pathStyle = Boolean.parseBoolean(v);
            default ->
                throw new IllegalArgumentException(
                    "unknown s3 URI parameter '" + k + "' (endpoint, region, pathStyle)");
          }
        }
      }
      String p = uri.getPath() == null ? "" : uri.getPath();
      while (p.startsWith("/")) {
        p = p.substring(1);
      }
      if (!p.isEmpty() && !p.endsWith("/")) {
        p += "/";
      }
      return new Location(
          uri.getHost(), p, endpoint == null ? null : URI.create(endpoint), region, pathStyle);
    }
  }

  /**
   * @param accessKeyId empty: the default credentials chain
   */
  public S3TierStore(Location location, String accessKeyId, String secretAccessKey, int partBytes) {
    AwsCredentialsProvider credentials =
        accessKeyId.isEmpty()
            ? DefaultCredentialsProvider.builder().build()
            : StaticCredentialsProvider.create(
                AwsBasicCredentials.create(accessKeyId, secretAccessKey));
    var builder =
        S3AsyncClient.builder()
            .httpClientBuilder(
                NettyNioAsyncHttpClient.builder()
                    .maxConcurrency(64)
                    .connectionTimeout(Duration.ofSeconds(5)))
            .region(Region.of(location.region()))
            .forcePathStyle(location.pathStyle())
            .credentialsProvider(credentials);
    if (location.endpoint() != null) {
      builder.endpointOverride(location.endpoint());
    }
    this.s3 = builder.build();
    this.bucket = location.bucket();
    this.prefix = location.prefix();
    this.partBytes = partBytes;
    this.description =
        "s3://"
            + bucket
            + "/"
            + prefix
            + (location.endpoint() == null ? "" : " at " + location.endpoint());
  }

  private String objectKey(String key) {
    if (key.isEmpty()) {
      throw new IllegalArgumentException("empty key");
    }
    return prefix + key;
  }

  @Override
  public CompletableFuture<Void> put(String key, TierUpload content) {
    try {
      String k = objectKey(key);
      return firstPart(content)
          .thenCompose(
              first -> {
                if (first.readableBytes() < partBytes) {
                  // The whole object fits one part: a single PUT.
                  return putSingle(k, first);
                }
                return multipart(k, first, content);
              })
          .handle(
              (v, e) -> {
                if (e != null) {
                  throw map("put " + key, e);
                }
                return null;
              });
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(map("put " + key, e));
    }
  }

  /** Collects chunks until {@code partBytes} are held or the content ends. */
  private CompletableFuture<ByteBuf> firstPart(TierUpload content) {
    return collect(content, Unpooled.compositeBuffer(Integer.MAX_VALUE), new boolean[1]);
  }

  private CompletableFuture<ByteBuf> collect(
      TierUpload content, CompositeByteBuf acc, boolean[] ended) {
    if (acc.readableBytes() >= partBytes) {
      return CompletableFuture.completedFuture(acc);
    }
    CompletableFuture<ByteBuf> next;
    try {
      next = content.next(partBytes - acc.readableBytes());
    } catch (RuntimeException e) {
      next = CompletableFuture.failedFuture(e);
    }
    return next.handle(
            (chunk, e) -> {
              if (e != null) {
                acc.release();
                return CompletableFuture.<ByteBuf>failedFuture(e);
              }
              if (!chunk.isReadable()) {
                chunk.release();
                ended[0] = true;
                return CompletableFuture.<ByteBuf>completedFuture(acc);
              }
              acc.addComponent(true, chunk);
              return collect(content, acc, ended);
            })
        .thenCompose(f -> f);
  }

  private CompletableFuture<Void> putSingle(String k, ByteBuf body) {
    byte[] bytes;
    try {
      bytes = new byte[body.readableBytes()];
      body.readBytes(bytes);
    } finally {
      body.release();
    }
    return s3.putObject(
            b -> b.bucket(bucket).key(k).contentLength((long) bytes.length),
            AsyncRequestBody.fromBytes(bytes))
        .thenApply(r -> null);
  }

  private CompletableFuture<Void> multipart(String k, ByteBuf first, TierUpload content) {
    return s3.createMultipartUpload(b -> b.bucket(bucket).key(k))
        .handle(
            (created, e) -> {
              if (e != null) {
                first.release();
                return CompletableFuture.<Void>failedFuture(e);
              }
              String uploadId = created.uploadId();
              List<CompletedPart> parts = new ArrayList<>();
              return uploadParts(k, uploadId, first, content, parts)
                  .thenCompose(
                      v ->
                          s3.completeMultipartUpload(
                              b ->
                                  b.bucket(bucket)
                                      .key(k)
                                      .uploadId(uploadId)
                                      .multipartUpload(
                                          CompletedMultipartUpload.builder().parts(parts).build())))
                  .<Void>thenApply(r -> null)
                  .exceptionallyCompose(
                      err ->
                          s3.abortMultipartUpload(b -> b.bucket(bucket).key(k).uploadId(uploadId))
                              .handle(
                                  (x, y) -> {
                                    throw new java.util.concurrent.CompletionException(err);
                                  }));
            })
        .thenCompose(f -> f);
  }

  private CompletableFuture<Void> uploadParts(
      String k, String uploadId, ByteBuf part, TierUpload content, List<CompletedPart> parts) {
    int number = parts.size() + 1;
    byte[] bytes;
    try {
      bytes = new byte[part.readableBytes()];
      part.readBytes(bytes);
    } finally {
      part.release();
    }
    return s3.uploadPart(
            b ->
                b.bucket(bucket)
                    .key(k)
                    .uploadId(uploadId)
                    .partNumber(number)
                    .contentLength((long) bytes.length),
            AsyncRequestBody.fromBytes(bytes))
        .thenCompose(
            r -> {
              parts.add(CompletedPart.builder().partNumber(number).eTag(r.eTag()).build());
              boolean[] ended = new boolean[1];
              return collect(content, Unpooled.compositeBuffer(Integer.MAX_VALUE), ended)
                  .thenCompose(
                      next -> {
                        if (!next.isReadable()) {
                          next.release();
                          return CompletableFuture.completedFuture(null);
                        }
                        return uploadParts(k, uploadId, next, content, parts);
                      });
            });
  }

  @Override
  public CompletableFuture<ByteBuf> get(String key, long position, int length) {
    try {
      String k = objectKey(key);
      String range =
          length < 0
              ? "bytes=" + position + "-"
              : "bytes=" + position + "-" + (position + length - 1);
      return s3.getObject(
              b -> b.bucket(bucket).key(k).range(range), AsyncResponseTransformer.toBytes())
          .handle(
              (r, e) -> {
                if (e != null) {
                  throw map("get " + key, e);
                }
                byte[] bytes = r.asByteArrayUnsafe();
                if (length >= 0 && bytes.length != length) {
                  throw TierStoreException.failure(
                      "get "
                          + key
                          + " ["
                          + position
                          + ", +"
                          + length
                          + ") returned "
                          + bytes.length
                          + " bytes",
                      null);
                }
                return Unpooled.wrappedBuffer(bytes);
              });
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(map("get " + key, e));
    }
  }

  @Override
  public CompletableFuture<Void> delete(String key) {
    try {
      String k = objectKey(key);
      return s3.deleteObject(b -> b.bucket(bucket).key(k))
          .thenCompose(r -> listUploads(k))
          .thenCompose(
              uploads -> {
                List<CompletableFuture<?>> aborts = new ArrayList<>();
                for (MultipartUpload u : uploads) {
                  if (u.key().equals(k)) {
                    aborts.add(
                        s3.abortMultipartUpload(
                            b -> b.bucket(bucket).key(k).uploadId(u.uploadId())));
                  }
                }
                return CompletableFuture.allOf(aborts.toArray(CompletableFuture[]::new));
              })
          .handle(
              (v, e) -> {
                if (e != null) {
                  TierStoreException m = map("delete " + key, e);
                  if (m.code() != io.strata.storage.api.StorageErrorCode.TIER_NOT_FOUND) {
                    throw m;
                  }
                }
                return null;
              });
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(map("delete " + key, e));
    }
  }

  @Override
  public CompletableFuture<List<TierObject>> list(String keyPrefix) {
    String p = prefix + keyPrefix;
    List<TierObject> out = new ArrayList<>();
    return listObjects(p, null, out)
        .thenCompose(v -> listUploads(p))
        .thenApply(
            uploads -> {
              for (MultipartUpload u : uploads) {
                out.add(new TierObject(u.key().substring(prefix.length()), -1));
              }
              out.sort(Comparator.comparing(TierObject::key));
              return out;
            })
        .handle(
            (v, e) -> {
              if (e != null) {
                throw map("list " + keyPrefix, e);
              }
              return v;
            });
  }

  private CompletableFuture<Void> listObjects(String p, String token, List<TierObject> out) {
    return s3.listObjectsV2(b -> b.bucket(bucket).prefix(p).continuationToken(token))
        .thenCompose(
            (ListObjectsV2Response r) -> {
              for (S3Object o : r.contents()) {
                out.add(new TierObject(o.key().substring(prefix.length()), o.size()));
              }
              return Boolean.TRUE.equals(r.isTruncated())
                  ? listObjects(p, r.nextContinuationToken(), out)
                  : CompletableFuture.completedFuture(null);
            });
  }

  private CompletableFuture<List<MultipartUpload>> listUploads(String p) {
    List<MultipartUpload> out = new ArrayList<>();
    return listUploads(p, null, null, out).thenApply(v -> out);
  }

  private CompletableFuture<Void> listUploads(
      String p, String keyMarker, String idMarker, List<MultipartUpload> out) {
    return s3.listMultipartUploads(
            b -> b.bucket(bucket).prefix(p).keyMarker(keyMarker).uploadIdMarker(idMarker))
        .thenCompose(
            (ListMultipartUploadsResponse r) -> {
              out.addAll(r.uploads());
              return Boolean.TRUE.equals(r.isTruncated())
                  ? listUploads(p, r.nextKeyMarker(), r.nextUploadIdMarker(), out)
                  : CompletableFuture.completedFuture(null);
            });
  }

  /** S3 and SDK failures as TierStoreExceptions: 404 not found; 5xx, 429, I/O retriable. */
  static TierStoreException map(String what, Throwable t) {
    Throwable c = StoreErrors.unwrap(t);
    if (c instanceof TierStoreException e) {
      return e;
    }
    if (c instanceof S3Exception e) {
      int status = e.statusCode();
      String msg = what + ": S3 " + status + " " + e.awsErrorDetails().errorCode();
      if (status == 404 && !"NoSuchBucket".equals(e.awsErrorDetails().errorCode())) {
        return TierStoreException.notFound(msg);
      }
      if (status >= 500 || status == 429 || status == 408) {
        return TierStoreException.unavailable(msg, e);
      }
      return TierStoreException.failure(msg, e);
    }
    if (c instanceof SdkClientException || c instanceof TimeoutException) {
      // Connection refused or reset, DNS, timeouts: the service may come back.
      return TierStoreException.unavailable(what + ": " + c.getMessage(), c);
    }
    return StoreErrors.map(what, c);
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public void close() {
    s3.close();
  }
}
