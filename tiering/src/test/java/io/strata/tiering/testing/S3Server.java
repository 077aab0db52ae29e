package io.strata.tiering.testing;

import java.net.ServerSocket;
import java.net.URI;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 server on loopback: s3proxy in this JVM over an in-memory blob store, reached through
 * aws-sdk-java-v2 like any S3 endpoint. {@link #stop()} and {@link #start()} simulate an outage:
 * the same port and the same objects come back.
 */
public final class S3Server implements AutoCloseable {
  public static final String ACCESS_KEY = "strata-test";
  public static final String SECRET_KEY = "strata-test-secret";

  private final BlobStore blobs;
  private final int port;
  private S3Proxy proxy;

  private S3Server(BlobStore blobs, int port) {
    this.blobs = blobs;
    this.port = port;
  }

  /** Starts a server with one bucket. */
  public static S3Server start(String bucket) throws Exception {
    Properties p = new Properties();
    p.setProperty("jclouds.identity", ACCESS_KEY);
    p.setProperty("jclouds.credential", SECRET_KEY);
    BlobStore blobs = BlobStores.create("transient-nio2", p);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    S3Server server = new S3Server(blobs, port);
    server.start();
    try (S3Client c = server.client()) {
      c.createBucket(b -> b.bucket(bucket));
    }
    return server;
  }

  /** (Re)starts serving on the same port and blob store; no-op if serving. */
  public synchronized void start() throws Exception {
    if (proxy != null) {
      return;
    }
    proxy =
        S3Proxy.builder()
            .blobStore(blobs)
            .endpoint(URI.create("http://127.0.0.1:" + port))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .build();
    proxy.start();
    long deadline = System.currentTimeMillis() + 10_000;
    while (!"STARTED".equals(proxy.getState()) && System.currentTimeMillis() < deadline) {
      Thread.sleep(10);
    }
  }

  /** Stops serving (connections are refused) until {@link #start()}. */
  public synchronized void stop() throws Exception {
    if (proxy != null) {
      proxy.stop();
      proxy = null;
    }
  }

  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  /** A {@code strata.tier.uri} for {@code bucket/prefix} on this server. */
  public String tierUri(String bucket, String prefix) {
    return "s3://" + bucket + "/" + prefix + "?endpoint=" + endpoint() + "&pathStyle=true";
  }

  /** A plain SDK client for tests to look at the bucket. */
  public S3Client client() {
    return S3Client.builder()
        .endpointOverride(URI.create(endpoint()))
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
        .httpClientBuilder(
            software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.builder())
        .build();
  }

  @Override
  public void close() {
    try {
      stop();
    } catch (Exception e) {
      throw new IllegalStateException("s3proxy did not stop", e);
    }
  }
}
