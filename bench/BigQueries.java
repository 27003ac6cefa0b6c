import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What one client sending very long statements costs everyone else: BYSTANDERS pgjdbc clients each run
 * {@code SELECT 1} in a loop, first alone for SECONDS, then for SECONDS while another client sends, one after the
 * other, a query of about TEXT_BYTES characters (an {@code IN} list over pgbench_branches). A proxy that reads such a
 * text on the thread that also serves the bystanders stalls them for as long as that takes.
 *
 * <pre>
 * java -cp proxy/target/pgroute.jar bench/BigQueries.java PORT BYSTANDERS SECONDS TEXT_BYTES [simple|extended]
 * # e.g. 6432 8 10 1000000 simple
 * </pre>
 *
 * Connects to 127.0.0.1:PORT, database app, user app, password app (the demo's, with pgbench tables: {@code bench/run}
 * or {@code pgbench -i} make them). {@code simple} sends the long text as a simple Query, {@code extended} (the
 * default) as pgjdbc's Parse/Bind/Execute. Prints, for each phase, the bystanders' pings and their latency (p50, p99,
 * max, in ms), and the long queries' count and mean time.
 */
public final class BigQueries {

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: BigQueries PORT BYSTANDERS SECONDS TEXT_BYTES [simple|extended]");
            System.exit(2);
        }
        String url = "jdbc:postgresql://127.0.0.1:" + Integer.parseInt(args[0]) + "/app";
        int bystanders = Integer.parseInt(args[1]);
        long seconds = Long.parseLong(args[2]);
        String sql = inList(Integer.parseInt(args[3]));
        String bigUrl = args.length > 4 && args[4].equals("simple") ? url + "?preferQueryMode=simple" : url;

        System.out.printf("%-8s %8s %9s %9s %9s %8s %12s%n", "phase", "pings", "p50 ms", "p99 ms", "max ms",
                "long", "long mean ms");
        phase("alone", url, bigUrl, bystanders, seconds, null);
        phase("with", url, bigUrl, bystanders, seconds, sql);
    }

    private static String inList(int bytes) {
        StringBuilder text = new StringBuilder(bytes + 64).append("SELECT count(*) FROM pgbench_branches WHERE bid IN (");
        for (int i = 1; text.length() < bytes; i++) {
            text.append(i).append(',');
        }
        return text.append("0)").toString();
    }

    private static void phase(String name, String url, String bigUrl, int bystanders, long seconds, String sql)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(bystanders + 1);
        AtomicBoolean stop = new AtomicBoolean();
        List<Future<long[]>> pings = new ArrayList<>();
        for (int i = 0; i < bystanders; i++) {
            pings.add(pool.submit(() -> ping(url, stop)));
        }
        Future<long[]> longOnes = sql == null ? null : pool.submit(() -> big(bigUrl, sql, stop));
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
        stop.set(true);
        long[] all = new long[0];
        for (Future<long[]> each : pings) {
            long[] some = each.get();
            long[] joined = Arrays.copyOf(all, all.length + some.length);
            System.arraycopy(some, 0, joined, all.length, some.length);
            all = joined;
        }
        Arrays.sort(all);
        String longPart = "-";
        String longMean = "-";
        if (longOnes != null) {
            long[] times = longOnes.get();
            longPart = String.valueOf(times.length);
            longMean = times.length == 0 ? "-" : String.format("%.1f", Arrays.stream(times).average().orElse(0) / 1e6);
        }
        System.out.printf("%-8s %8d %9.3f %9.3f %9.3f %8s %12s%n", name, all.length, at(all, 0.5), at(all, 0.99),
                all.length == 0 ? 0 : all[all.length - 1] / 1e6, longPart, longMean);
        pool.shutdown();
        pool.awaitTermination(30, TimeUnit.SECONDS);
    }

    private static double at(long[] sorted, double quantile) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)] / 1e6;
    }

    private static long[] ping(String url, AtomicBoolean stop) throws SQLException {
        long[] times = new long[1 << 16];
        int n = 0;
        try (Connection c = DriverManager.getConnection(url, "app", "app"); Statement s = c.createStatement()) {
            while (!stop.get()) {
                long start = System.nanoTime();
                try (ResultSet rs = s.executeQuery("SELECT 1")) {
                    rs.next();
                }
                if (n == times.length) {
                    times = Arrays.copyOf(times, n * 2);
                }
                times[n++] = System.nanoTime() - start;
            }
        }
        return Arrays.copyOf(times, n);
    }

    private static long[] big(String url, String sql, AtomicBoolean stop) throws SQLException {
        long[] times = new long[1024];
        int n = 0;
        try (Connection c = DriverManager.getConnection(url, "app", "app"); Statement s = c.createStatement()) {
            while (!stop.get() && n < times.length) {
                long start = System.nanoTime();
                try (ResultSet rs = s.executeQuery(sql)) {
                    rs.next();
                    if (rs.getLong(1) < 1) {
                        throw new IllegalStateException("the long query counted no branch");
                    }
                }
                times[n++] = System.nanoTime() - start;
            }
        }
        return Arrays.copyOf(times, n);
    }
}
