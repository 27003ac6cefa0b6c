# syntax=docker/dockerfile:1
# pgroute's image: built from this repository with Maven, run on a JRE as an unprivileged user.
#   docker build -t pgroute .
#   docker run -v "$PWD/proxy.yaml:/etc/pgroute/proxy.yaml:ro" -p 6432:6432 -p 9930:9930 pgroute
# docker-compose.yml builds it for the demo stack (docs/docker.md).

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
# The cache mount keeps ~/.m2 between builds, so a rebuild downloads nothing.
RUN --mount=type=cache,target=/root/.m2 mvn -B -DskipTests package

FROM eclipse-temurin:17-jre
# A numeric uid, so that runtimes which check for non-root (Kubernetes runAsNonRoot) can verify it.
RUN groupadd --system --gid 10001 pgroute \
    && useradd --system --uid 10001 --gid pgroute --home-dir /app --no-create-home --shell /usr/sbin/nologin pgroute
COPY --from=build /src/proxy/target/pgroute.jar /app/pgroute.jar
USER 10001:10001
# 6432: PostgreSQL clients; 9930: Prometheus metrics and /health (metrics.listen must be 0.0.0.0:9930).
EXPOSE 6432 9930
# wget ships in eclipse-temurin's Ubuntu images; -q exits non-zero on a refused connection or an HTTP error.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD wget -qO /dev/null http://127.0.0.1:9930/health || exit 1
# JVM flags, as bin/pgroute's defaults (a small initial heap, a bounded one, freed native memory given back every
# 10 s): override JAVA_TOOL_OPTIONS to change.
ENV JAVA_TOOL_OPTIONS="-Xms64m -Xmx512m -XX:+ExitOnOutOfMemoryError -XX:TrimNativeHeapInterval=10000"
ENTRYPOINT ["java", "-jar", "/app/pgroute.jar"]
CMD ["--config", "/etc/pgroute/proxy.yaml"]
