import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Opens many client connections, holds them idle, closes them: the idle workload of {@code bench/run}.
 *
 * <pre>
 * java -cp proxy/target/pgroute.jar bench/IdleClients.java HOST PORT DB USER PASSWORD COUNT HOLD_SECONDS [THREADS]
 * </pre>
 *
 * Each connection is a pgjdbc connection (the driver is in pgroute's jar), so it authenticates the way the server asks
 * (SCRAM-SHA-256 with pgroute and with the suite's PgBouncer), and runs {@code SELECT 1} once so that it is really
 * established. They are opened in parallel by THREADS threads (default 8). Then it prints
 * {@code holding N connections for S s}, sleeps, prints {@code hold over}, runs {@code SELECT 1} on every connection
 * again (to see that the server kept them) and closes them all.
 *
 * Exit status 0 when all COUNT connected and all survived the hold; 1 (with the distinct errors and their counts)
 * otherwise; 2 for bad arguments. Opening gives up after IDLE_OPEN_TIMEOUT seconds (environment, default 600).
 */
public final class IdleClients {

    public static void main(String[] args) throws Exception {
        if (args.length < 7 || args.length > 8) {
            System.err.println("usage: java -cp pgroute.jar bench/IdleClients.java HOST PORT DB USER PASSWORD COUNT"
                    + " HOLD_SECONDS [THREADS]");
            System.exit(2);
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        String db = args[2];
        int count = Integer.parseInt(args[5]);
        int holdSeconds = Integer.parseInt(args[6]);
        int threads = args.length == 8 ? Integer.parseInt(args[7]) : 8;
        long openTimeoutSeconds = Long.parseLong(System.getenv().getOrDefault("IDLE_OPEN_TIMEOUT", "600"));
        if (count < 1 || holdSeconds < 0 || threads < 1) {
            System.err.println("IdleClients: COUNT and THREADS must be at least 1, HOLD_SECONDS at least 0");
            System.exit(2);
        }
        Class.forName("org.postgresql.Driver");
        String url = "jdbc:postgresql://" + host + ":" + port + "/" + db;
        Properties props = new Properties();
        props.setProperty("user", args[3]);
        props.setProperty("password", args[4]);
        props.setProperty("sslmode", "disable");
        props.setProperty("connectTimeout", "60");
        props.setProperty("loginTimeout", "120");
        props.setProperty("socketTimeout", "120");
        props.setProperty("ApplicationName", "pgroute-bench-idle");
        props.setProperty("assumeMinServerVersion", "10");

        Connection[] connections = new Connection[count];
        Map<String, Integer> errors = new TreeMap<>();
        AtomicInteger opened = new AtomicInteger();
        int step = Math.max(1, count / 5);
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        for (int i = 0; i < count; i++) {
            int index = i;
            pool.execute(() -> {
                Connection connection = null;
                try {
                    connection = DriverManager.getConnection(url, props);
                    selectOne(connection);
                    connections[index] = connection;
                    int n = opened.incrementAndGet();
                    if (n % step == 0 && n < count) {
                        System.out.printf("opened %d of %d (%.1f s)%n", n, count, seconds(start));
                    }
                } catch (Exception e) {
                    record(errors, e);
                    closeQuietly(connection);
                }
            });
        }
        pool.shutdown();
        boolean finished = pool.awaitTermination(openTimeoutSeconds, TimeUnit.SECONDS);
        double openSeconds = seconds(start);
        if (!finished) {
            pool.shutdownNow();
            pool.awaitTermination(30, TimeUnit.SECONDS);
            record(errors, "opening did not finish within " + openTimeoutSeconds + " s (IDLE_OPEN_TIMEOUT)");
        }
        int ok = opened.get();
        System.out.printf("connected %d of %d in %.1f s (%.0f connections/s, %d threads)%n", ok, count, openSeconds,
                ok / Math.max(openSeconds, 1e-9), threads);
        if (ok < count) {
            System.out.printf("FAILED: only %d of %d connections were established; errors:%n", ok, count);
            printErrors(errors);
            closeAll(connections, threads);
            System.exit(1);
        }

        System.out.printf("holding %d connections for %d s%n", count, holdSeconds);
        System.out.flush();
        Thread.sleep(holdSeconds * 1000L);
        System.out.println("hold over");
        System.out.flush();

        AtomicInteger alive = new AtomicInteger();
        Map<String, Integer> afterHold = new TreeMap<>();
        pool = Executors.newFixedThreadPool(threads);
        for (Connection connection : connections) {
            pool.execute(() -> {
                try {
                    selectOne(connection);
                    alive.incrementAndGet();
                } catch (Exception e) {
                    record(afterHold, e);
                }
            });
        }
        pool.shutdown();
        if (!pool.awaitTermination(300, TimeUnit.SECONDS)) {
            pool.shutdownNow();
            record(afterHold, "SELECT 1 after the hold did not finish within 300 s");
        }
        System.out.printf("still working after the hold: %d of %d%n", alive.get(), count);
        double closeSeconds = closeAll(connections, threads);
        System.out.printf("closed %d connections in %.1f s%n", count, closeSeconds);
        if (alive.get() < count) {
            System.out.printf("FAILED: %d of %d connections did not survive the hold; errors:%n",
                    count - alive.get(), count);
            printErrors(afterHold);
            System.exit(1);
        }
    }

    private static void selectOne(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT 1")) {
            if (!rs.next() || rs.getInt(1) != 1) {
                throw new SQLException("SELECT 1 did not return 1");
            }
        }
    }

    private static double closeAll(Connection[] connections, int threads) throws InterruptedException {
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        for (Connection connection : connections) {
            if (connection != null) {
                pool.execute(() -> closeQuietly(connection));
            }
        }
        pool.shutdown();
        pool.awaitTermination(120, TimeUnit.SECONDS);
        return seconds(start);
    }

    private static void closeQuietly(Connection connection) {
        if (connection == null) {
            return;
        }
        try {
            connection.close();
        } catch (SQLException ignored) {
            // closing anyway
        }
    }

    private static void record(Map<String, Integer> errors, Exception e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = e.getClass().getSimpleName() + ": " + e.getMessage();
        if (root != e) {
            message += " (cause " + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
        }
        record(errors, message);
    }

    private static void record(Map<String, Integer> errors, String message) {
        synchronized (errors) {
            errors.merge(message, 1, Integer::sum);
        }
    }

    private static void printErrors(Map<String, Integer> errors) {
        synchronized (errors) {
            if (errors.isEmpty()) {
                System.out.println("  (no error recorded)");
            }
            errors.entrySet().stream()
                    .sorted((a, b) -> b.getValue() - a.getValue())
                    .limit(10)
                    .forEach(entry -> System.out.printf("  %6d x %s%n", entry.getValue(), entry.getKey()));
        }
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
