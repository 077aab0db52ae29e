#!/usr/bin/env bash
# Tiered-storage benchmark (io.strata.tiering.bench.TierBench): builds the test classpath in the
# reactor (no install), then runs the benchmark main in its own JVM and prints a table.
# Environment: BENCH_MB (128), BENCH_TTFB (50), BENCH_TAIL_SECONDS (10).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
mvn -B -q -pl tiering -am test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test -Dspotless.check.skip=true
exec java -Xmx2g -XX:+UseG1GC -Djava.net.preferIPv4Stack=true \
  -Dio.netty.native.detectNativeLibraryDuplicates=false \
  --add-opens java.base/java.io=ALL-UNNAMED --add-opens java.base/java.nio=ALL-UNNAMED \
  --add-opens java.base/sun.nio.ch=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED \
  -Dlog4j2.configurationFile=log4j2-test.xml \
  -cp "tiering/target/test-classes:tiering/target/classes:$(cat tiering/target/bench-classpath.txt)" \
  io.strata.tiering.bench.TierBench
