import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Clients that open a pgjdbc connection per request, as a web application without a connection pool (or behind a
 * serverless function) does: connect, one read, close, again, for SECONDS seconds. Shows what a proxy adds to a
 * login and to the connect-time statements drivers send (COMPAT G12: pgjdbc's {@code SET application_name}).
 *
 * <pre>
 * java -cp proxy/target/pgroute.jar bench/ConnectPerRequest.java PORT CLIENTS SECONDS [USER PASSWORD]   # e.g. 6432 4 20
 * </pre>
 *
 * Connects to 127.0.0.1:PORT, database app, user app, password app (the demo's; or USER and PASSWORD), and reads one row of
 * {@code pgbench_accounts} by a random aid (scale 10 or more). Prints connections per second and the median and 99th
 * percentile time of a connect-read-close, in milliseconds; exit status 1 if any request failed.
 */
public final class ConnectPerRequest {

    public static void main(String[] args) throws Exception {
        if (args.length != 3 && args.length != 5) {
            System.err.println("usage: ConnectPerRequest PORT CLIENTS SECONDS [USER PASSWORD]");
            System.exit(2);
        }
        String user = args.length == 5 ? args[3] : "app";
        String password = args.length == 5 ? args[4] : "app";
        String url = "jdbc:postgresql://127.0.0.1:" + Integer.parseInt(args[0]) + "/app?user="
                + java.net.URLEncoder.encode(user, java.nio.charset.StandardCharsets.UTF_8) + "&password="
                + java.net.URLEncoder.encode(password, java.nio.charset.StandardCharsets.UTF_8);
        int clients = Integer.parseInt(args[1]);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[2]));
        LongAdder failures = new LongAdder();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<long[]>> done = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < clients; i++) {
            done.add(pool.submit(() -> {
                long[] times = new long[1 << 20];
                int n = 0;
                java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
                while (System.nanoTime() < end && n < times.length) {
                    long t0 = System.nanoTime();
                    try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
                         ResultSet rs = s.executeQuery("SELECT abalance FROM pgbench_accounts WHERE aid = "
                                 + (1 + random.nextInt(1_000_000)))) {
                        rs.next();
                    } catch (Exception e) {
                        failures.increment();
                        if (failures.sum() == 1) {
                            System.err.println("first failure: " + e);
                        }
                        continue;
                    }
                    times[n++] = System.nanoTime() - t0;
                }
                return java.util.Arrays.copyOf(times, n);
            }));
        }
        List<Long> all = new ArrayList<>();
        for (Future<long[]> each : done) {
            for (long t : each.get()) {
                all.add(t);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        all.sort(null);
        System.out.printf("connections/s %.0f  p50 %.2f ms  p99 %.2f ms  (%d requests, %d failed)%n",
                all.size() / seconds, all.isEmpty() ? 0 : all.get(all.size() / 2) / 1e6,
                all.isEmpty() ? 0 : all.get((int) (all.size() * 0.99)) / 1e6, all.size(), failures.sum());
        System.exit(failures.sum() == 0 ? 0 : 1);
    }
}
