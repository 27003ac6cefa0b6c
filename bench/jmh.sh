#!/usr/bin/env bash
# JMH microbenchmarks of the proxy's hot paths (issue 13): builds bench/jmh/target/benchmarks.jar and runs it.
#
#   bench/jmh.sh                          # every benchmark, short defaults: about 10 s per benchmark method
#   bench/jmh.sh ClassifierBench          # one class (a regex over benchmark names)
#   bench/jmh.sh -f 3 -wi 5 -i 10         # longer runs: later options override the defaults
#   bench/jmh.sh -h                       # JMH's own options
#
# Everything after the script name goes to JMH (org.openjdk.jmh.Main), after the defaults below. SKIP_BUILD=1 reuses
# the jar; JAVA_OPTS goes to the JMH launcher JVM (the benchmark forks take -jvmArgs).
set -euo pipefail
cd "$(dirname "$0")/.."

JAR=bench/jmh/target/benchmarks.jar
if [ "${SKIP_BUILD:-}" != 1 ] || [ ! -f "$JAR" ]; then
  mvn -B -q -Dstyle.color=never -pl bench/jmh -am package -DskipTests -Pbenchmarks
fi

# Short defaults: 3 warm-up and 5 measured iterations of 1 s in one fork. JMH rejects an option given twice, so a
# default is left out when the arguments set that option themselves.
defaults=()
for option in "-wi 3" "-i 5" "-f 1" "-w 1s" "-r 1s"; do
  given=no
  for each in "$@"; do
    [ "$each" = "${option%% *}" ] && given=yes
  done
  [ "$given" = no ] && defaults+=(${option})
done

# shellcheck disable=SC2086 # JAVA_OPTS is a list of options
exec java ${JAVA_OPTS:-} -jar "$JAR" "${defaults[@]}" "$@"
